// Defensive readers: the translator must never throw, whatever the API server (or a fuzzer)
// hands it, so every field is read through these instead of trusting the static types.

export type Obj = Readonly<Record<string, unknown>>;

export function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

export function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A finite integer, or undefined. */
export function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

export function strRecord(v: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

export interface Meta {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly generation: number;
  readonly creationTimestamp: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export function meta(o: unknown): Meta {
  const m = obj(obj(o).metadata);
  return {
    name: str(m.name) ?? '',
    namespace: str(m.namespace) ?? '',
    uid: str(m.uid) ?? '',
    generation: Math.max(0, int(m.generation) ?? 0),
    // Typed client-node models turn timestamps into Dates; Gateway API objects keep strings.
    creationTimestamp:
      m.creationTimestamp instanceof Date
        ? isoOrEmpty(m.creationTimestamp)
        : (str(m.creationTimestamp) ?? ''),
    labels: strRecord(m.labels),
    annotations: strRecord(m.annotations),
  };
}

export function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** `namespace/name` of a cluster object, without reading the rest of its metadata. */
export function objectKey(o: unknown): string {
  const m = obj(obj(o).metadata);
  return key(str(m.namespace) ?? '', str(m.name) ?? '');
}

export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isoOrEmpty(d: Date): string {
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** A short printable form of any value, for messages (never throws). */
export function show(v: unknown): string {
  if (typeof v === 'string') return v.length > 100 ? `${v.slice(0, 100)}...` : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

// Gateway API durations (GEP-2257): one to four `<digits><unit>` parts, units h, m, s, ms.
const PART = /([0-9]{1,5})(h|ms|m|s)/y;
const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** Milliseconds, or undefined when `text` is not a Gateway API duration. */
export function durationMs(text: string): number | undefined {
  let total = 0;
  let parts = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    parts++;
  }
  return parts >= 1 && parts <= 4 ? total : undefined;
}

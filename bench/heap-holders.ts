// What holds the operator's heap: retained size by path in the dominator tree, read from V8 heap
// snapshots (e2e-scale writes them with E2E_HEAP_SNAPSHOTS). Siblings reached by the same edge name
// with the same constructor are merged (10,000 routes in a Map are one line), so a path reads like
// `Reflector.store > table > [] Object > spec`. With two snapshots and their route counts it prints
// the bytes per route each path grew by.
//   node --import tsx bench/heap-holders.ts a.heapsnapshot [routesA b.heapsnapshot routesB] [--min=0.5]
// Snapshots of a few hundred MiB do not fit one JS string: the file is scanned as bytes.
import fs from 'node:fs';

interface Graph {
  nodeCount: number;
  /** Per node: type index, name string index, self size. */
  type: Uint8Array;
  name: Uint32Array;
  self: Float64Array;
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeName: Uint32Array;
  edgeTo: Uint32Array;
  strings: string[];
  nodeTypes: string[];
  edgeTypes: string[];
}

function parseNumbers(buf: Buffer, from: number, out: Uint32Array | Float64Array): number {
  let i = buf.indexOf(0x5b /* [ */, from) + 1;
  let n = 0;
  let v = 0;
  let inNum = false;
  for (; ; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      inNum = true;
    } else {
      if (inNum) out[n++] = v;
      v = 0;
      inNum = false;
      if (c === 0x5d /* ] */) return i + 1;
    }
  }
}

function parseStrings(buf: Buffer, from: number): string[] {
  const out: string[] = [];
  let i = buf.indexOf(0x5b, from) + 1;
  for (;;) {
    while (buf[i] !== 0x22 /* " */ && buf[i] !== 0x5d) i++;
    if (buf[i] === 0x5d) return out;
    let j = i + 1;
    while (buf[j] !== 0x22) j += buf[j] === 0x5c /* \ */ ? 2 : 1;
    out.push(JSON.parse(buf.toString('utf8', i, j + 1)) as string);
    i = j + 1;
  }
}

function load(file: string): Graph {
  const buf = fs.readFileSync(file);
  const nodesAt = buf.indexOf('"nodes":');
  const header = JSON.parse(`${buf.toString('utf8', 0, nodesAt).trim().replace(/,$/, '')}}`) as {
    snapshot: {
      meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
      node_count: number;
      edge_count: number;
    };
  };
  const { meta, node_count: nodeCount, edge_count: edgeCount } = header.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nodes = new Float64Array(nodeCount * nf);
  const edgesAt = parseNumbers(buf, nodesAt, nodes);
  const edges = new Uint32Array(edgeCount * ef);
  parseNumbers(buf, buf.indexOf('"edges":', edgesAt), edges);
  const strings = parseStrings(buf, buf.indexOf('"strings":'));
  const [fType, fName, fSelf, fEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    meta.node_fields.indexOf(f),
  ) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) =>
    meta.edge_fields.indexOf(f),
  ) as [number, number, number];
  const g: Graph = {
    nodeCount,
    type: new Uint8Array(nodeCount),
    name: new Uint32Array(nodeCount),
    self: new Float64Array(nodeCount),
    firstEdge: new Uint32Array(nodeCount + 1),
    edgeType: new Uint8Array(edgeCount),
    edgeName: new Uint32Array(edgeCount),
    edgeTo: new Uint32Array(edgeCount),
    strings,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
  };
  let e = 0;
  for (let n = 0; n < nodeCount; n++) {
    g.type[n] = nodes[n * nf + fType]!;
    g.name[n] = nodes[n * nf + fName]!;
    g.self[n] = nodes[n * nf + fSelf]!;
    g.firstEdge[n] = e;
    e += nodes[n * nf + fEdges]!;
  }
  g.firstEdge[nodeCount] = e;
  for (let k = 0; k < edgeCount; k++) {
    g.edgeType[k] = edges[k * ef + eType]!;
    g.edgeName[k] = edges[k * ef + eName]!;
    g.edgeTo[k] = edges[k * ef + eTo]! / nf;
  }
  return g;
}

/** Immediate dominators (Cooper, Harvey, Kennedy), weak edges left out, and retained sizes. */
function dominators(g: Graph): { idom: Int32Array; retained: Float64Array } {
  const weak = g.edgeTypes.indexOf('weak');
  const n = g.nodeCount;
  const post = new Int32Array(n).fill(-1);
  const order = new Int32Array(n); // postorder index -> node
  let count = 0;
  const stack = new Int32Array(n);
  const edgeAt = new Uint32Array(n);
  const seen = new Uint8Array(n);
  let sp = 0;
  stack[sp++] = 0;
  seen[0] = 1;
  edgeAt[0] = g.firstEdge[0]!;
  while (sp > 0) {
    const v = stack[sp - 1]!;
    if (edgeAt[v]! < g.firstEdge[v + 1]!) {
      const k = edgeAt[v]!++;
      const w = g.edgeTo[k]!;
      if (g.edgeType[k] === weak || seen[w]) continue;
      seen[w] = 1;
      edgeAt[w] = g.firstEdge[w]!;
      stack[sp++] = w;
    } else {
      sp--;
      post[v] = count;
      order[count++] = v;
    }
  }
  // Retainers (predecessors) in CSR form.
  const predCount = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++)
    for (let k = g.firstEdge[v]!; k < g.firstEdge[v + 1]!; k++)
      if (g.edgeType[k] !== weak && seen[v]) predCount[g.edgeTo[k]! + 1]!++;
  for (let v = 0; v < n; v++) predCount[v + 1]! += predCount[v]!;
  const preds = new Uint32Array(predCount[n]!);
  const fill = predCount.slice(0, n);
  for (let v = 0; v < n; v++)
    if (seen[v])
      for (let k = g.firstEdge[v]!; k < g.firstEdge[v + 1]!; k++)
        if (g.edgeType[k] !== weak) preds[fill[g.edgeTo[k]!]!++] = v;
  const idom = new Int32Array(n).fill(-1); // by postorder index
  const root = post[0]!;
  idom[root] = root;
  for (let changed = true; changed;) {
    changed = false;
    for (let i = count - 2; i >= 0; i--) {
      const b = order[i]!;
      let d = -1;
      for (let p = predCount[b]!; p < predCount[b + 1]!; p++) {
        let x = post[preds[p]!]!;
        if (x < 0 || idom[x] === -1) continue;
        if (d === -1) {
          d = x;
          continue;
        }
        let y = d;
        while (x !== y) {
          while (x < y) x = idom[x]!;
          while (y < x) y = idom[y]!;
        }
        d = x;
      }
      if (d !== -1 && idom[i] !== d) {
        idom[i] = d;
        changed = true;
      }
    }
  }
  const byNode = new Int32Array(n).fill(-1);
  const retained = new Float64Array(n);
  for (let i = 0; i < count; i++) {
    const v = order[i]!;
    retained[v] = retained[v]! + g.self[v]!;
    if (i !== root && idom[i]! >= 0) {
      const d = order[idom[i]!]!;
      byNode[v] = d;
      retained[d] = retained[d]! + retained[v]!;
    }
  }
  return { idom: byNode, retained };
}

/** Path tree: key -> [retained, count]. */
function paths(g: Graph, min: number): Map<string, [number, number]> {
  const { idom, retained } = dominators(g);
  const children: number[][] = Array.from({ length: g.nodeCount }, () => []);
  for (let v = 1; v < g.nodeCount; v++) if (idom[v]! >= 0) children[idom[v]!]!.push(v);
  const ordinal = new Set(['element', 'hidden'].map((t) => g.edgeTypes.indexOf(t)));
  const what = (v: number) => {
    const t = g.nodeTypes[g.type[v]!]!;
    return t === 'object' || t === 'closure' || t === 'synthetic' || t === 'native'
      ? `${g.strings[g.name[v]!]!.slice(0, 40)}`
      : `(${t})`;
  };
  const label = (parent: number, v: number) => {
    for (let k = g.firstEdge[parent]!; k < g.firstEdge[parent + 1]!; k++)
      if (g.edgeTo[k] === v)
        return `${ordinal.has(g.edgeType[k]!) ? '[]' : g.strings[g.edgeName[k]!]!.slice(0, 40)}:${what(v)}`;
    return `~${what(v)}`;
  };
  const out = new Map<string, [number, number]>();
  const walk = (set: number[], path: string, depth: number) => {
    const groups = new Map<string, number[]>();
    for (const p of set)
      for (const c of children[p]!) {
        const key = label(p, c);
        const list = groups.get(key);
        if (list) list.push(c);
        else groups.set(key, [c]);
      }
    for (const [key, members] of groups) {
      const sum = members.reduce((s, m) => s + retained[m]!, 0);
      if (sum < min) continue;
      const p = path ? `${path} > ${key}` : key;
      out.set(p, [sum, members.length]);
      if (depth < 14) walk(members, p, depth + 1);
    }
  };
  out.set('(root)', [retained[0]!, 1]);
  walk([0], '', 0);
  return out;
}

/**
 * Per holder (a field of one of the operator's class instances, or a module-level variable): the
 * bytes freed if that one reference went (everything reachable from the roots without it,
 * subtracted from the total), and the data it reaches (not through functions or classes).
 */
function holders(g: Graph): Map<string, [number, number]> {
  const weak = g.edgeTypes.indexOf('weak');
  const ctx = g.edgeTypes.indexOf('context');
  const prop = g.edgeTypes.indexOf('property');
  const objectType = g.nodeTypes.indexOf('object');
  const stamp = new Uint32Array(g.nodeCount);
  const queue = new Uint32Array(g.nodeCount);
  let gen = 0;
  const classes = new Set(CLASSES);
  const isClass = (v: number) => g.type[v] === objectType && classes.has(g.strings[g.name[v]!]!);
  const stop = new Set(['closure', 'code'].map((t) => g.nodeTypes.indexOf(t)));
  const bfs = (start: number, cut: number, dataOnly: boolean) => {
    gen++;
    let head = 0;
    let tail = 0;
    let size = 0;
    queue[tail++] = start;
    stamp[start] = gen;
    while (head < tail) {
      const v = queue[head++]!;
      size += g.self[v]!;
      if (
        dataOnly &&
        v !== start &&
        (stop.has(g.type[v]!) || isClass(v) || g.strings[g.name[v]!] === 'system / Context')
      )
        continue;
      for (let k = g.firstEdge[v]!; k < g.firstEdge[v + 1]!; k++) {
        const w = g.edgeTo[k]!;
        if (k === cut || g.edgeType[k] === weak || stamp[w] === gen) continue;
        stamp[w] = gen;
        queue[tail++] = w;
      }
    }
    return size;
  };
  const total = bfs(0, -1, false);
  const out = new Map<string, [number, number]>();
  const contextVars = new Set(CONTEXT_VARS);
  for (let v = 0; v < g.nodeCount; v++) {
    const owner = isClass(v)
      ? g.strings[g.name[v]!]!
      : g.strings[g.name[v]!] === 'system / Context'
        ? 'module'
        : undefined;
    if (!owner) continue;
    for (let k = g.firstEdge[v]!; k < g.firstEdge[v + 1]!; k++) {
      const field = g.strings[g.edgeName[k]!]!;
      const ok =
        owner === 'module' ? g.edgeType[k] === ctx && contextVars.has(field) : g.edgeType[k] === prop;
      if (!ok || stop.has(g.type[g.edgeTo[k]!]!)) continue;
      const key = `${owner}.${field}`;
      const freed = total - bfs(0, k, false);
      const reach = bfs(g.edgeTo[k]!, -1, true);
      const prev = out.get(key) ?? [0, 0];
      out.set(key, [prev[0] + freed, prev[1] + reach]);
    }
  }
  out.set('(total)', [total, total]);
  return out;
}

const CLASSES = [
  'AckReports',
  'AdsServer',
  'AdsSink',
  'AdsStream',
  'Applier',
  'ClusterCache',
  'Controller',
  'EndpointIndex',
  'EventRecorder',
  'KubeClient',
  'LeaderElector',
  'Reconciler',
  'Reflector',
  'StatusWriter',
  'WorkQueue',
];
/** Module-level memos and caches (translate/memo.ts and friends). */
const CONTEXT_VARS = (
  process.env.HEAP_VARS ?? 'routes,attachMemo,lastGateways,lastRefs,register,cache,memo'
).split(',');

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const minMiB = Number(process.argv.find((a) => a.startsWith('--min='))?.slice(6) ?? 0.5);
const mib = (b: number) => (b / 2 ** 20).toFixed(2);
const indent = (p: string) => '  '.repeat(p.split(' > ').length - 1) + p.split(' > ').pop();
if (process.argv.includes('--holders')) {
  const runs = [];
  for (let i = 0; i < args.length; i += 2)
    runs.push({ routes: Number(args[i + 1]), h: holders(load(args[i]!)) });
  const last = runs[runs.length - 1]!;
  const [first] = runs;
  const rows = [...last.h].sort((x, y) => y[1][0] - x[1][0] || y[1][1] - x[1][1]);
  console.log(
    `holder: MiB freed if dropped / MiB of data reached, at ${runs.map((r) => r.routes).join(', ')} routes; bytes per route between the first and last`,
  );
  for (const [key, [freed, reach]] of rows) {
    if (Math.max(freed, reach) < minMiB * 2 ** 20 && key !== '(total)') continue;
    const cells = runs.map((r) => `${mib(r.h.get(key)?.[0] ?? 0)}/${mib(r.h.get(key)?.[1] ?? 0)}`);
    const dr = last.routes - (first?.routes ?? 0);
    const per =
      runs.length > 1 && dr > 0
        ? ` ${((freed - (first!.h.get(key)?.[0] ?? 0)) / dr).toFixed(0)} / ${((reach - (first!.h.get(key)?.[1] ?? 0)) / dr).toFixed(0)} B/route`
        : '';
    console.log(`${key.padEnd(40)} ${cells.join('  ')}${per}`);
  }
} else if (args.length === 1) {
  for (const [p, [size, n]] of paths(load(args[0]!), minMiB * 2 ** 20))
    console.log(`${mib(size).padStart(9)} MiB ${String(n).padStart(7)}x  ${indent(p)}`);
} else {
  const [fa, ra, fb, rb] = args as [string, string, string, string];
  // Paths present in the larger snapshot; the smaller one with a lower bar so they are found there.
  const b = paths(load(fb), minMiB * 2 ** 20);
  const a = paths(load(fa), (minMiB * 2 ** 20) / 20);
  const per = Number(rb) - Number(ra);
  console.log(`bytes per route (${ra} -> ${rb} routes), MiB at ${rb}, count at ${rb}`);
  for (const [p, [size, n]] of b) {
    const delta = (size - (a.get(p)?.[0] ?? 0)) / per;
    console.log(
      `${delta.toFixed(0).padStart(7)} B/route ${mib(size).padStart(9)} MiB ${String(n).padStart(7)}x  ${indent(p)}`,
    );
  }
}

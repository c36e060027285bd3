// What every benchmark shares: the one-JSON-line-per-figure output and the load generator.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/** One figure, one line: `{"name","value","unit"}`, so runs can be compared. */
export function emit(name: string, value: number, unit: string, digits = 2): void {
  const f = 10 ** digits;
  process.stdout.write(JSON.stringify({ name, value: Math.round(value * f) / f, unit }) + '\n');
}

export interface Load {
  rps: number;
  /** Requests answered in the run. */
  requests: number;
  p99: number;
  /** Connection errors plus non-2xx answers. */
  errors: number;
  statusCodes?: Record<string, { count: number }>;
}

const run = promisify(execFile);
const autocannon = path.resolve('node_modules', '.bin', 'autocannon');

/** autocannon against `url` with `connections` for `seconds` (bounded: killed 30 s past it). */
export async function load(url: string, connections: number, seconds: number): Promise<Load> {
  const { stdout } = await run(
    autocannon,
    ['-c', String(connections), '-d', String(seconds), '--json', url],
    {
      maxBuffer: 64 * 1024 * 1024,
      timeout: (seconds + 30) * 1000,
    },
  );
  const r = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p99: number };
    errors: number;
    non2xx: number;
    statusCodeStats?: Record<string, { count: number }>;
  };
  return {
    rps: r.requests.average,
    requests: r.requests.total,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    statusCodes: r.statusCodeStats,
  };
}

/** CPU time a process's threads have run, in ns (/proc schedstat: finer than the 10 ms of /proc/stat). */
export function cpuNs(pid: number): number {
  let sum = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return sum;
}

/** The nearest-rank quantile (q in 0..1) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

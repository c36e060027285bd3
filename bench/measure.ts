// What every benchmark shares: the one-JSON-line-per-figure output and the load generator (wrk).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { ensureDebianPackages } from '../local/toolchain/install.ts';

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
}

const run = promisify(execFile);

/**
 * wrk (C, one thread) against `url`. On two cores the load generator shares the CPU with the Envoy
 * under test; with wrk in place of autocannon (Node) the minimal config served more. Installed from Debian
 * when missing, as the nodes' packages are.
 */
export async function load(url: string, connections: number, seconds: number): Promise<Load> {
  ensureDebianPackages([{ pkg: 'wrk', file: '/usr/bin/wrk' }], (line) =>
    process.stderr.write(`bench: ${line}\n`),
  );
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], {
    timeout: (seconds + 30) * 1000,
  });
  const num = (re: RegExp, fallback?: number) => {
    const m = re.exec(stdout);
    if (!m && fallback === undefined) throw new Error(`wrk ${url}: no ${re.source} in ${stdout}`);
    return Number(m?.[1] ?? fallback);
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = socket ? socket.slice(1).reduce((a, x) => a + Number(x), 0) : 0;
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(stdout);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in /),
    p99: p99 ? Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[p99[2]!]! : NaN,
    errors: socketErrors + num(/Non-2xx or 3xx responses: (\d+)/, 0),
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

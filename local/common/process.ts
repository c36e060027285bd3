import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A child process whose output is kept for failure reports and which is killed with its group. */
export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr, bounded. */
  logs(): string;
  /** Resolves when the process has exited; kills its whole process group (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
  /** Resolves with the exit code once it exits on its own. */
  readonly exited: Promise<number | null>;
}

const LOG_LIMIT = 256 * 1024;
const live = new Set<Managed>();
let logDir: string | undefined;

/** From now on, every process started also writes its output to `<dir>/<name>.log` (`portico logs`). */
export function writeLogsTo(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  logDir = dir;
}

/** The log file of a process named `name` under `dir`: "portico-worker kubelet" -> portico-worker-kubelet.log. */
export const logFileName = (name: string) => `${name.replace(/[^\w.-]+/g, '-')}.log`;

// Backstop: a test runner that dies mid-suite still takes its children along.
process.once('exit', () => {
  for (const m of live) {
    try {
      if (m.child.pid) process.kill(-m.child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export function startProcess(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Managed {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const file = logDir
    ? fs.createWriteStream(path.join(logDir, logFileName(name)), { flags: 'a' })
    : undefined;
  file?.on('error', () => {}); // the in-memory copy is still kept
  const keep = (d: Buffer) => {
    file?.write(d);
    buf += d.toString();
    if (buf.length > LOG_LIMIT) buf = buf.slice(-LOG_LIMIT);
  };
  child.once('close', () => file?.end()); // after the last output, unlike 'exit'
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      buf += `\n${name}: ${err.message}\n`;
      resolve(-1);
    });
  });
  const m: Managed = {
    name,
    child,
    exited,
    logs: () => buf,
    async stop() {
      live.delete(m);
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          /* already gone */
        }
      };
      kill('SIGTERM');
      const t = setTimeout(() => kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  live.add(m);
  void exited.then(() => live.delete(m));
  return m;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Ports for our listeners come from below the kernel's ephemeral range: a port the kernel hands
// out and takes back can become any process's next outgoing source port before our child binds it
// (seen as an Envoy listener's "Address already in use" in CI).
const PORT_FLOOR = 20000;
const ephemeralLow = (() => {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32768;
  }
})();

/** Whether `port` on `host` can be listened on now; binds and closes it. */
function canListen(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, host, () => {
      const bound = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(bound));
    });
  });
}

/** A free TCP port on 127.0.0.1 (the caller binds it soon after; callers retry on a lost race). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  if (ephemeralLow > PORT_FLOOR + 1000)
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = PORT_FLOOR + Math.floor(Math.random() * (ephemeralLow - PORT_FLOOR));
      const bound = await canListen(host, port);
      if (bound) return bound;
    }
  // The kernel's choice, from its ephemeral range.
  const bound = await canListen(host, 0);
  if (!bound) throw new Error(`no free port on ${host}`);
  return bound;
}

/** Polls `check` until it returns true; rejects with `what` and the process logs if `m` dies or time runs out. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; process?: Managed } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30000);
  let dead = false;
  void opts.process?.exited.then(() => (dead = true));
  for (;;) {
    if (dead)
      throw new Error(
        `${opts.process!.name} exited while waiting for ${what}:\n${tail(opts.process!.logs())}`,
      );
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const logs = opts.process ? `\n${tail(opts.process.logs())}` : '';
      throw new Error(`timed out waiting for ${what}${logs}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findToolchain } from '../toolchain/install.ts';
import { guardPodNetwork } from './pods.ts';
import { freePort, startProcess, waitFor, type Managed } from '../common/process.ts';

export interface EnvoyHandle {
  /** Admin interface, on loopback. */
  readonly adminUrl: string;
  readonly process: Managed;
  logs(): string;
  /** GET a path on the admin interface, e.g. `/config_dump` or `/stats?filter=...`. */
  admin(pathAndQuery: string): Promise<string>;
  stop(): Promise<void>;
}

export interface EnvoyOptions {
  /** Envoy log level (default `info`). */
  logLevel?: string;
  /** Extra command-line arguments. */
  args?: string[];
  /** Wait for the server to be LIVE (default true); an ADS-fed Envoy is LIVE only once its first config arrived. */
  waitReady?: boolean;
  timeoutMs?: number;
}

/**
 * Starts a real Envoy with `bootstrap` (a bootstrap config object; its `admin` section is
 * replaced with one on a free loopback port).
 */
export async function startEnvoy(
  bootstrap: Record<string, unknown>,
  opts: EnvoyOptions = {},
): Promise<EnvoyHandle> {
  const { envoy } = findToolchain();
  // Envoy may be handed endpoints in the pod range before (or without) any pod existing.
  if (process.getuid?.() === 0) guardPodNetwork();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-envoy-'));
  const adminPort = await freePort();
  const config = {
    ...bootstrap,
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
  };
  const file = path.join(dir, 'bootstrap.json');
  fs.writeFileSync(file, JSON.stringify(config));
  const proc = startProcess('envoy', envoy, [
    '-c',
    file,
    '--disable-hot-restart',
    '--log-level',
    opts.logLevel ?? 'info',
    '--concurrency',
    '2',
    ...(opts.args ?? []),
  ]);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const admin = async (p: string) => {
    const res = await fetch(`${adminUrl}${p}`);
    return res.text();
  };
  const handle: EnvoyHandle = {
    adminUrl,
    process: proc,
    logs: proc.logs,
    admin,
    async stop() {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const readyPath = opts.waitReady === false ? '/server_info' : '/ready';
    await waitFor(`envoy admin ${readyPath}`, async () => (await fetch(`${adminUrl}${readyPath}`)).ok, {
      process: proc,
      timeoutMs: opts.timeoutMs ?? 20000,
    });
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

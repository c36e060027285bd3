// A real nginx from Debian's packages: downloaded and unpacked (never installed: that would start a
// server on this machine), with the shared libraries it links taken from the host.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../toolchain/paths.ts';
import { libraryEntries } from './ldd.ts';
import type { LayerEntry } from './tar.ts';

const PACKAGES = ['nginx', 'nginx-common'];

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return r.stdout;
}

/** The unpacked packages (cached: downloaded once, then reused whatever apt's candidate becomes). */
export function nginxTree(log: (line: string) => void): { dir: string; version: string } {
  const root = path.join(cacheDir(), 'images', 'debs');
  const done = path.join(root, 'nginx.json');
  if (fs.existsSync(done))
    return JSON.parse(fs.readFileSync(done, 'utf8')) as { dir: string; version: string };
  log(`fetching ${PACKAGES.join(', ')} with apt-get download (unpacked, not installed)`);
  const dl = path.join(root, 'download');
  fs.rmSync(dl, { recursive: true, force: true });
  fs.mkdirSync(dl, { recursive: true });
  run('apt-get', ['download', ...PACKAGES], dl);
  const debs = fs.readdirSync(dl).filter((f) => f.endsWith('.deb'));
  const main = debs.find((f) => f.startsWith('nginx_'));
  if (!main || debs.length !== PACKAGES.length) throw new Error(`apt-get download gave ${debs.join(', ')}`);
  const version = run('dpkg-deb', ['--field', path.join(dl, main), 'Version']).trim();
  const dir = path.join(root, `nginx-${version}`);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const deb of debs) run('dpkg-deb', ['-x', path.join(dl, deb), dir]);
  fs.rmSync(dl, { recursive: true, force: true });
  fs.writeFileSync(done, JSON.stringify({ dir, version }));
  return { dir, version };
}

// As in the upstream image: serves /usr/share/nginx/html on port 80 until a chart mounts its own.
const DEFAULT_CONF = `events {}
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  server {
    listen 80;
    root /usr/share/nginx/html;
    index index.html;
  }
}
`;

export function nginxEntries(tree: string): LayerEntry[] {
  const bin = path.join(tree, 'usr/sbin/nginx');
  const file = (p: string, mode = 0o644): LayerEntry => ({
    type: 'file',
    path: p,
    mode,
    source: path.join(tree, p),
  });
  return [
    { type: 'file', path: '/usr/sbin/nginx', mode: 0o755, source: bin },
    ...libraryEntries([bin]),
    file('/etc/nginx/mime.types'),
    file('/usr/share/nginx/html/index.html'),
    { type: 'file', path: '/etc/nginx/nginx.conf', mode: 0o644, content: DEFAULT_CONF },
    // Compiled-in paths: temp files, logs, pid and lock (upstream sends the access log to stdout).
    { type: 'dir', path: '/var/lib/nginx', mode: 0o755 },
    { type: 'dir', path: '/var/log/nginx', mode: 0o755 },
    { type: 'symlink', path: '/var/log/nginx/access.log', target: '/dev/stdout' },
    { type: 'dir', path: '/run', mode: 0o755 },
    { type: 'dir', path: '/var/lock', mode: 0o1777 },
  ];
}

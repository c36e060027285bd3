// Shared-library closure of dynamically linked binaries, as the host's loader resolves it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { LayerEntry } from './tar.ts';

/**
 * The absolute paths `ldd` lists (libraries and the ELF interpreter), or [] for a static binary.
 * Lines look like `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)`, `/lib64/ld-linux-x86-64.so.2
 * (0x...)` or `linux-vdso.so.1 (0x...)` (no file: provided by the kernel).
 */
export function parseLdd(output: string): string[] {
  const paths = new Set<string>();
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (!line || /not a dynamic executable|statically linked/.test(line)) continue;
    if (line.includes('=> not found')) throw new Error(`missing shared library: ${line}`);
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const bare = /^(\/\S+)\s+\(0x/.exec(line);
    const p = arrow?.[1] ?? bare?.[1];
    if (p) paths.add(p);
  }
  return [...paths].sort();
}

/** ldd's list for one binary (host-side: ldd runs the host's loader on it, never the binary's code). */
export function lddPaths(binary: string): string[] {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (r.error) throw new Error(`ldd could not run: ${r.error.message}`);
  // ldd exits 1 for static binaries ("not a dynamic executable").
  if (r.status !== 0 && !/not a dynamic executable/.test(`${r.stdout}${r.stderr}`)) {
    throw new Error(`ldd ${binary} failed: ${r.stderr.trim()}`);
  }
  return parseLdd(r.stdout);
}

/**
 * Layer entries for the libraries `binaries` need: each at the path ldd printed (so the soname
 * paths the loader searches exist in the image), with the contents of the file it resolves to.
 */
export function libraryEntries(binaries: readonly string[]): LayerEntry[] {
  const paths = new Set(binaries.flatMap(lddPaths));
  return [...paths].sort().map((p) => ({ type: 'file', path: p, mode: 0o755, source: fs.realpathSync(p) }));
}

// The operator and the stand-in backends as plain JavaScript for `node`: our TypeScript bundled
// by esbuild, npm packages left external and shipped as the production node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { LayerEntry } from './tar.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where apps live in the images; node resolves packages from /app/node_modules. */
export const APP_DIR = '/app';

/** Bundles `entry` (a repo-relative .ts file) to ESM JavaScript; returns the code and the packages it imports. */
export async function bundle(entry: string): Promise<{ code: string; packages: string[] }> {
  const result = await build({
    entryPoints: [path.join(repoRoot, entry)],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild wrote nothing for ${entry}`);
  const packages = new Set<string>();
  for (const o of Object.values(result.metafile.outputs)) {
    for (const i of o.imports)
      if (i.external && !i.path.startsWith('node:')) packages.add(packageName(i.path));
  }
  return { code: out.text, packages: [...packages].sort() };
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

interface LockPackage {
  dev?: boolean;
  link?: boolean;
}

/** Install paths (`node_modules/...`) of every package `npm ci --omit=dev` would install, from the lockfile. */
export function productionPackages(lock: { packages?: Record<string, LockPackage> }): string[] {
  return Object.entries(lock.packages ?? {})
    .filter(([key, p]) => key.startsWith('node_modules/') && !p.dev && !p.link)
    .map(([key]) => key)
    .sort();
}

// Type declarations, source maps and docs are never loaded at run time.
const SKIP = /\.(d\.[cm]?ts|map|md|markdown)$/i;

function walk(dir: string, rel: string, out: LayerEntry[]): void {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, d.name);
    const inImage = path.posix.join(rel, d.name);
    if (d.isDirectory()) {
      // Nested node_modules are packages of their own in the lockfile.
      if (d.name !== 'node_modules') walk(abs, inImage, out);
    } else if (d.isSymbolicLink()) {
      out.push({ type: 'symlink', path: inImage, target: fs.readlinkSync(abs) });
    } else if (d.isFile() && !SKIP.test(d.name)) {
      out.push({
        type: 'file',
        path: inImage,
        mode: fs.statSync(abs).mode & 0o111 ? 0o755 : 0o644,
        source: abs,
      });
    }
  }
}

/** The production node_modules as layer entries under /app/node_modules. */
export function nodeModulesEntries(imported: readonly string[]): LayerEntry[] {
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, LockPackage>;
  };
  const installed = productionPackages(lock).filter((p) => fs.existsSync(path.join(repoRoot, p)));
  const missing = imported.filter((name) => !installed.includes(`node_modules/${name}`));
  if (missing.length > 0) {
    throw new Error(`the bundle imports ${missing.join(', ')}, not production dependencies in package.json`);
  }
  const entries: LayerEntry[] = [];
  for (const p of installed) walk(path.join(repoRoot, p), path.posix.join(APP_DIR, p), entries);
  return entries;
}

const PACKAGE_JSON = '{"type":"module","private":true}\n';

/** /app/main.js (the operator) and its node_modules. */
export async function operatorEntries(): Promise<LayerEntry[]> {
  const { code, packages } = await bundle('operator/main.ts');
  return [
    { type: 'file', path: `${APP_DIR}/package.json`, mode: 0o644, content: PACKAGE_JSON },
    { type: 'file', path: `${APP_DIR}/main.js`, mode: 0o644, content: code },
    ...nodeModulesEntries(packages),
  ];
}

/** /app/server.js: local/backends/server.ts, which imports only node's own modules. */
export async function backendEntries(): Promise<LayerEntry[]> {
  const { code, packages } = await bundle('local/backends/server.ts');
  if (packages.length > 0)
    throw new Error(`backends/server.ts must not import packages: ${packages.join(', ')}`);
  return [
    { type: 'file', path: `${APP_DIR}/package.json`, mode: 0o644, content: PACKAGE_JSON },
    { type: 'file', path: `${APP_DIR}/server.js`, mode: 0o644, content: code },
  ];
}

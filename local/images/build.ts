// Builds the catalog's images into OCI archives, cached by a hash of everything that goes in.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { alive } from '../common/process.ts';
import { cacheDir } from '../toolchain/paths.ts';
import { imageDefinitions, type ImageDefinition } from './catalog.ts';
import { ociDocuments, writeOciArchive } from './oci.ts';
import { normalizeEntries, writeLayer, type LayerBlob, type LayerEntry } from './tar.ts';

export interface BuiltImage {
  name: string;
  /** Manifest digest: what `ctr images ls` shows once imported. */
  digest: string;
  /** Bytes of the archive (layers gzipped). */
  size: number;
  archive: string;
  /** True when the archive was already in the cache. */
  cached: boolean;
  standIn: boolean;
  note?: string;
}

/** Bump when the archive layout changes, so old cache entries are not reused. */
// Bump when the archive layout changes (2: fully qualified names in the index).
const FORMAT = 2;
const GZIP = true;

export function imagesDir(): string {
  return path.join(cacheDir(), 'images');
}

/** `docker.io/library/nginx:1.27` -> `docker.io_library_nginx_1.27`. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

const fileHashes = new Map<string, Promise<string>>();

/** sha256 of a file's contents, computed once per file version in this process. */
function hashFile(file: string): Promise<string> {
  const st = fs.statSync(file);
  const key = `${file}:${st.ino}:${st.size}:${st.mtimeMs}`;
  let h = fileHashes.get(key);
  if (!h) {
    h = new Promise((resolve, reject) => {
      const hash = crypto.createHash('sha256');
      fs.createReadStream(file)
        .on('data', (d) => hash.update(d))
        .on('error', reject)
        .on('end', () => resolve(hash.digest('hex')));
    });
    fileHashes.set(key, h);
  }
  return h;
}

/** A hash of a layer's inputs: paths, types, modes, owners and contents (not host paths or times). */
export async function layerKey(entries: readonly LayerEntry[]): Promise<string> {
  const hash = crypto.createHash('sha256');
  for (const e of normalizeEntries(entries)) {
    if (e.type === 'file' && 'source' in e) {
      const { source, ...rest } = e;
      hash.update(JSON.stringify({ ...rest, sha256: await hashFile(source) }));
    } else if (e.type === 'file') {
      const { content, ...rest } = e;
      hash.update(
        JSON.stringify({ ...rest, sha256: crypto.createHash('sha256').update(content).digest('hex') }),
      );
    } else {
      hash.update(JSON.stringify(e));
    }
    hash.update('\n');
  }
  return hash.digest('hex');
}

interface Sidecar {
  name: string;
  digest: string;
  standIn: boolean;
}

/**
 * Builds (or finds in the cache) every image that is in no group, or only `names`; returns them
 * in catalog order.
 */
export async function ensureImages(
  log: (line: string) => void = () => {},
  names?: readonly string[],
): Promise<BuiltImage[]> {
  const all = imageDefinitions();
  const unknown = (names ?? []).filter((n) => !all.some((d) => d.name === n));
  if (unknown.length > 0) throw new Error(`no image definition for ${unknown.join(', ')}`);
  const defs = names ? all.filter((d) => names.includes(d.name)) : all.filter((d) => !d.group);
  const dir = imagesDir();
  fs.mkdirSync(dir, { recursive: true });
  removeStaleWork(dir);
  const work = path.join(dir, `work-${process.pid}`);
  fs.mkdirSync(work, { recursive: true });
  // Layers shared by several images (node and its libraries) are written once per run.
  const blobs = new Map<string, Promise<LayerBlob>>();
  try {
    const out: BuiltImage[] = [];
    for (const def of defs) out.push(await ensureImage(def, dir, work, blobs, log));
    return out;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function ensureImage(
  def: ImageDefinition,
  dir: string,
  work: string,
  blobs: Map<string, Promise<LayerBlob>>,
  log: (line: string) => void,
): Promise<BuiltImage> {
  const layers = await def.layers(log);
  const keys = await Promise.all(layers.map((l) => layerKey(l)));
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ FORMAT, GZIP, name: def.name, config: def.config, keys }))
    .digest('hex')
    .slice(0, 16);
  const base = path.join(dir, `${fileSafe(def.name)}-${key}`);
  const archive = `${base}.tar`;
  const sidecarFile = `${base}.json`;
  const note = typeof def.note === 'function' ? def.note() : def.note;
  if (fs.existsSync(archive) && fs.existsSync(sidecarFile)) {
    const s = JSON.parse(fs.readFileSync(sidecarFile, 'utf8')) as Sidecar;
    return { ...s, note, size: fs.statSync(archive).size, archive, cached: true };
  }
  log(`building ${def.name}`);
  const written = await Promise.all(
    layers.map((entries, i) => {
      const k = keys[i]!;
      let blob = blobs.get(k);
      if (!blob) {
        blob = writeLayer(entries, path.join(work, `layer-${k}`), GZIP);
        blobs.set(k, blob);
      }
      return blob;
    }),
  );
  const docs = ociDocuments(def.name, def.config, written);
  // Unique per build: two builds of one image in one process must not rename each other's file.
  const tmp = `${archive}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    await writeOciArchive(tmp, docs, written);
    fs.renameSync(tmp, archive);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const sidecar: Sidecar = { name: def.name, digest: docs.digest, standIn: def.standIn };
  fs.writeFileSync(sidecarFile, `${JSON.stringify(sidecar, null, 2)}\n`);
  prune(dir, fileSafe(def.name), path.basename(base));
  return { ...sidecar, note, size: fs.statSync(archive).size, archive, cached: false };
}

/** Work folders of builds that were killed (their pid is gone). */
function removeStaleWork(dir: string): void {
  for (const f of fs.readdirSync(dir)) {
    const pid = /^work-(\d+)$/.exec(f)?.[1];
    if (pid && Number(pid) !== process.pid && !alive(Number(pid))) {
      fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    }
  }
}

/** Versions of one image kept: other checkouts and runs on this machine may still import theirs. */
const KEEP_VERSIONS = 8;

/** Removes the oldest archives of the same image beyond KEEP_VERSIONS. */
function prune(dir: string, safeName: string, keep: string): void {
  const re = new RegExp(`^${safeName.replace(/[.]/g, '\\.')}-[0-9a-f]{16}\\.tar$`);
  const old = fs
    .readdirSync(dir)
    .filter((f) => re.test(f) && !f.startsWith(`${keep}.`))
    .map((f) => ({ f, mtime: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)
    .slice(KEEP_VERSIONS - 1);
  for (const { f } of old) {
    fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(path.join(dir, f.replace(/\.tar$/, '.json')), { force: true });
  }
}

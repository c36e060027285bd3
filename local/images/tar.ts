// Deterministic tar streams: node-tar encodes the headers (ustar + pax for long names);
// we choose every field, so the bytes depend only on paths, modes, owners and contents.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Header, Pack, ReadEntry } from 'tar';

/** One entry of an image layer, by its absolute path in the image. */
export type LayerEntry =
  | { type: 'file'; path: string; mode: number; source: string; uid?: number; gid?: number }
  | { type: 'file'; path: string; mode: number; content: string | Buffer; uid?: number; gid?: number }
  | { type: 'dir'; path: string; mode: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string };

/** Fixed timestamp for every entry (the OCI config's `created` too): builds are reproducible. */
export const EPOCH = new Date(0);

/** Adds missing parent directories (0755, root) and sorts by path; a repeated path must agree. */
export function normalizeEntries(entries: readonly LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  const add = (e: LayerEntry) => {
    const p = path.posix.normalize(e.path);
    if (!p.startsWith('/') || p === '/') throw new Error(`layer entry path must be absolute: ${e.path}`);
    const prev = byPath.get(p);
    if (prev && JSON.stringify(prev) !== JSON.stringify({ ...e, path: p })) {
      throw new Error(`layer entry ${p} given twice with different contents`);
    }
    byPath.set(p, { ...e, path: p });
  };
  for (const e of entries) add(e);
  for (const p of [...byPath.keys()]) {
    for (let d = path.posix.dirname(p); d !== '/'; d = path.posix.dirname(d)) {
      if (!byPath.has(d)) byPath.set(d, { type: 'dir', path: d, mode: 0o755 });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function entrySize(e: LayerEntry): number {
  if (e.type !== 'file') return 0;
  return 'source' in e ? fs.statSync(e.source).size : Buffer.byteLength(e.content);
}

/** Writes `entries` (normalized first) as a tar stream into `out`. */
export async function writeTar(entries: readonly LayerEntry[], out: Writable): Promise<void> {
  // node-tar counts every queued entry as a running job; with the default limit (4) the head entry
  // is never piped once more than 4 wait, so lift the limit (we feed entries one at a time anyway).
  const pack = new Pack({ portable: false, jobs: Number.MAX_SAFE_INTEGER });
  // Minipass's own pipe: node's pipeline() over its async iterator stalls on backpressure.
  const done = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve).once('error', reject);
    pack.once('error', reject);
  });
  pack.pipe(out);
  for (const e of normalizeEntries(entries)) {
    const rel = e.path.slice(1) + (e.type === 'dir' ? '/' : '');
    const size = entrySize(e);
    const owner = e.type === 'symlink' ? {} : { uid: e.uid, gid: e.gid };
    const header = new Header({
      path: rel,
      mode: e.type === 'symlink' ? 0o777 : e.mode,
      uid: owner.uid ?? 0,
      gid: owner.gid ?? 0,
      uname: '',
      gname: '',
      size,
      mtime: EPOCH,
      type: e.type === 'file' ? 'File' : e.type === 'dir' ? 'Directory' : 'SymbolicLink',
      linkpath: e.type === 'symlink' ? e.target : undefined,
    });
    const entry = new ReadEntry(header);
    pack.add(entry);
    if (e.type === 'file') {
      if ('source' in e) {
        let written = 0;
        for await (const chunk of fs.createReadStream(e.source) as AsyncIterable<Buffer>) {
          written += chunk.length;
          if (!entry.write(chunk)) await once(entry, 'drain');
        }
        if (written !== size) throw new Error(`${e.source} changed while it was being archived`);
      } else {
        entry.write(Buffer.from(e.content));
      }
    }
    entry.end();
  }
  pack.end();
  await done;
}

export interface BlobInfo {
  /** sha256:<hex> of the bytes written. */
  digest: string;
  size: number;
}

/** A pass-through stream that hashes and counts what flows through it. */
export function hashing(): { stream: Transform; result: () => BlobInfo } {
  const hash = crypto.createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, result: () => ({ digest: `sha256:${hash.digest('hex')}`, size }) };
}

export interface LayerBlob extends BlobInfo {
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  gzip: boolean;
  file: string;
}

/** Writes a layer blob to `file`: the tar, gzipped (level 1: the layer only travels on this machine) or not. */
export async function writeLayer(
  entries: readonly LayerEntry[],
  file: string,
  gzip: boolean,
): Promise<LayerBlob> {
  const raw = hashing();
  const packed = hashing();
  const tarDone = writeTar(entries, raw.stream);
  const written = gzip
    ? pipeline(raw.stream, zlib.createGzip({ level: 1 }), packed.stream, fs.createWriteStream(file))
    : pipeline(raw.stream, fs.createWriteStream(file));
  await Promise.all([tarDone, written]);
  const diff = raw.result();
  const blob = gzip ? packed.result() : diff;
  return { ...blob, diffId: diff.digest, gzip, file };
}

// Imports the built archives into a node's containerd (namespace k8s.io, where the CRI looks).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureImages, type BuiltImage } from './build.ts';
import { fullName } from './oci.ts';

const run = promisify(execFile);

export interface ImportOptions {
  /** containerd's gRPC socket. */
  address: string;
  /** Only these images. @default every image of the catalog */
  names?: readonly string[];
  /** Images already built (by `ensureImages`): imported as they are, nothing is rebuilt. */
  images?: readonly BuiltImage[];
  /**
   * The command that runs ctr, e.g. `['nsenter', '--mount=/proc/PID/ns/mnt', 'ctr']` when containerd
   * runs in a mount namespace of its own. @default ['ctr']
   */
  ctr?: readonly string[];
}

export interface ImportResult {
  imported: string[];
  /** Already present with the same manifest digest. */
  skipped: string[];
}

/** `ctr images ls` -> image name -> manifest digest. */
export function parseImageList(output: string): Map<string, string> {
  const images = new Map<string, string>();
  for (const line of output.split('\n').slice(1)) {
    const [ref, , digest] = line.trim().split(/\s+/);
    if (ref && digest?.startsWith('sha256:')) images.set(ref, digest);
  }
  return images;
}

export async function ctr(opts: ImportOptions, args: readonly string[]): Promise<string> {
  const [cmd = 'ctr', ...pre] = opts.ctr ?? ['ctr'];
  try {
    const { stdout } = await run(cmd, [...pre, '--address', opts.address, '-n', 'k8s.io', ...args], {
      maxBuffer: 16 << 20,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ctr ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Builds what is missing, then imports every image the containerd lacks or holds at another digest. */
export async function importImages(
  opts: ImportOptions,
  log: (line: string) => void = () => {},
): Promise<ImportResult> {
  const images = opts.images ?? (await ensureImages(log, opts.names));
  const present = parseImageList(await ctr(opts, ['images', 'ls']));
  const result: ImportResult = { imported: [], skipped: [] };
  for (const image of images) {
    if (present.get(fullName(image.name)) === image.digest) {
      result.skipped.push(image.name);
      continue;
    }
    log(`importing ${image.name} into ${opts.address}`);
    await ctr(opts, ['images', 'import', image.archive]);
    result.imported.push(image.name);
  }
  const after = parseImageList(await ctr(opts, ['images', 'ls']));
  const wrong = images.filter((i) => after.get(fullName(i.name)) !== i.digest).map((i) => i.name);
  if (wrong.length > 0) throw new Error(`containerd does not list ${wrong.join(', ')} at the built digest`);
  return result;
}

// OCI image layout documents (config, manifest, index) and the archive `ctr images import` reads.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { LayerBlob } from './tar.ts';
import { EPOCH, writeTar, type LayerEntry } from './tar.ts';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The runtime part of an image config (OCI image-spec field names). */
export interface RunConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  StopSignal?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export function sha256(data: string | Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;
}

/** Go's name for this machine's architecture, as OCI platforms spell it. */
export function ociArch(arch: string = process.arch): string {
  const names: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  const name = names[arch];
  if (!name) throw new Error(`no OCI architecture name for node's "${arch}"`);
  return name;
}

export function imageConfig(run: RunConfig, diffIds: readonly string[], arch = ociArch()): string {
  return JSON.stringify({
    created: EPOCH.toISOString(),
    architecture: arch,
    os: 'linux',
    config: run,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created: EPOCH.toISOString(), created_by: 'portico local/images' })),
  });
}

export function imageManifest(config: Descriptor, layers: readonly Descriptor[]): string {
  return JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers });
}

/** Splits `registry/repo:tag` into repository and tag (digest references are not image names here). */
export function splitName(name: string): { repository: string; tag: string } {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon <= slash || name.includes('@')) throw new Error(`image name needs a tag: ${name}`);
  return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
}

/**
 * The fully qualified reference the kubelet asks containerd for: `envoyproxy/envoy:v1` is
 * `docker.io/envoyproxy/envoy:v1`, `nginx:1` is `docker.io/library/nginx:1`.
 */
export function fullName(name: string): string {
  const parts = name.split('/');
  if (parts.length === 1) return `docker.io/library/${name}`;
  const domain = parts[0]!;
  if (domain.includes('.') || domain.includes(':') || domain === 'localhost') return name;
  return `docker.io/${name}`;
}

/**
 * The index naming the manifest. containerd takes `io.containerd.image.name` as the image's full
 * name (as `ctr images export` writes it); `org.opencontainers.image.ref.name` holds the tag.
 */
export function imageIndex(manifest: Descriptor, name: string): string {
  const { tag } = splitName(name);
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        ...manifest,
        annotations: { 'io.containerd.image.name': fullName(name), 'org.opencontainers.image.ref.name': tag },
      },
    ],
  });
}

export interface OciDocuments {
  config: string;
  manifest: string;
  index: string;
  /** The manifest digest: the image's identity in containerd (`ctr images ls` DIGEST). */
  digest: string;
}

export function ociDocuments(name: string, run: RunConfig, layers: readonly LayerBlob[]): OciDocuments {
  const config = imageConfig(
    run,
    layers.map((l) => l.diffId),
  );
  const configDesc = { mediaType: MEDIA.config, digest: sha256(config), size: Buffer.byteLength(config) };
  const manifest = imageManifest(
    configDesc,
    layers.map((l) => ({
      mediaType: l.gzip ? MEDIA.layerGzip : MEDIA.layer,
      digest: l.digest,
      size: l.size,
    })),
  );
  const manifestDesc: Descriptor = {
    mediaType: MEDIA.manifest,
    digest: sha256(manifest),
    size: Buffer.byteLength(manifest),
    platform: { architecture: ociArch(), os: 'linux' },
  };
  return { config, manifest, index: imageIndex(manifestDesc, name), digest: manifestDesc.digest };
}

const blobPath = (digest: string) => `/blobs/${digest.replace(':', '/')}`;

/** Writes the OCI archive (a tar of the image layout) to `file`. */
export async function writeOciArchive(
  file: string,
  docs: OciDocuments,
  layers: readonly LayerBlob[],
): Promise<void> {
  const entries: LayerEntry[] = [
    { type: 'file', path: '/oci-layout', mode: 0o644, content: '{"imageLayoutVersion":"1.0.0"}' },
    { type: 'file', path: '/index.json', mode: 0o644, content: docs.index },
    { type: 'file', path: blobPath(sha256(docs.config)), mode: 0o644, content: docs.config },
    { type: 'file', path: blobPath(docs.digest), mode: 0o644, content: docs.manifest },
    ...layers.map((l): LayerEntry => ({
      type: 'file',
      path: blobPath(l.digest),
      mode: 0o644,
      source: l.file,
    })),
  ];
  await writeTar(entries, fs.createWriteStream(file));
}

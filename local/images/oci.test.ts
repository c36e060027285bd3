import { fullName, imageIndex, ociArch, ociDocuments, sha256, splitName, MEDIA } from './oci.ts';
import type { LayerBlob } from './tar.ts';

const layer: LayerBlob = {
  digest: 'sha256:' + 'a'.repeat(64),
  diffId: 'sha256:' + 'b'.repeat(64),
  size: 123,
  gzip: true,
  file: '/unused',
};

describe('ociDocuments', () => {
  const docs = ociDocuments('docker.io/library/nginx:1.27', { Cmd: ['nginx'], User: '101:101' }, [layer]);

  it('writes a config with the run settings and the layers diff_ids, at a fixed time', () => {
    expect(JSON.parse(docs.config)).toEqual({
      created: '1970-01-01T00:00:00.000Z',
      architecture: ociArch(),
      os: 'linux',
      config: { Cmd: ['nginx'], User: '101:101' },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created: '1970-01-01T00:00:00.000Z', created_by: 'portico local/images' }],
    });
  });

  it('writes a manifest naming the config and the gzipped layer by digest', () => {
    expect(JSON.parse(docs.manifest)).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: sha256(docs.config), size: Buffer.byteLength(docs.config) },
      layers: [{ mediaType: MEDIA.layerGzip, digest: layer.digest, size: 123 }],
    });
    expect(docs.digest).toBe(sha256(docs.manifest));
  });

  it('names the image in the index the way containerd imports it', () => {
    const index = JSON.parse(docs.index) as { manifests: { digest: string; annotations: object }[] };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.digest).toBe(docs.digest);
    expect(index.manifests[0]!.annotations).toEqual({
      'io.containerd.image.name': 'docker.io/library/nginx:1.27',
      'org.opencontainers.image.ref.name': '1.27',
    });
  });

  it('is a pure function of its inputs', () => {
    const again = ociDocuments('docker.io/library/nginx:1.27', { Cmd: ['nginx'], User: '101:101' }, [layer]);
    expect(again).toEqual(docs);
    const other = ociDocuments('docker.io/library/nginx:1.27', { Cmd: ['nginx'], User: '0' }, [layer]);
    expect(other.digest).not.toBe(docs.digest);
  });
});

describe('splitName', () => {
  it('splits at the tag, not at a registry port', () => {
    expect(splitName('localhost:5000/a/b:v1')).toEqual({ repository: 'localhost:5000/a/b', tag: 'v1' });
    expect(() => splitName('localhost:5000/a/b')).toThrow('needs a tag');
    expect(() => imageIndex({ mediaType: MEDIA.manifest, digest: 'sha256:x', size: 1 }, 'nginx')).toThrow();
  });
});

describe('fullName', () => {
  it.each([
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['envoyproxy/envoy:v1.40.0', 'docker.io/envoyproxy/envoy:v1.40.0'],
    ['portico/operator:0.1.0', 'docker.io/portico/operator:0.1.0'],
    ['registry.k8s.io/pause:3.10.1', 'registry.k8s.io/pause:3.10.1'],
    ['localhost:5000/x:1', 'localhost:5000/x:1'],
    ['docker.io/library/nginx:1.27', 'docker.io/library/nginx:1.27'],
  ])('names %s as the kubelet asks for it: %s', (name, full) => expect(fullName(name)).toBe(full));
});

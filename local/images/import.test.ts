import { parseImageList } from './import.ts';

describe('parseImageList', () => {
  it('maps each ref to its manifest digest, skipping the header', () => {
    const out = `REF                          TYPE                                       DIGEST                                                                  SIZE     PLATFORMS   LABELS
docker.io/library/nginx:1.27 application/vnd.oci.image.manifest.v1+json sha256:4355c0c77839aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 4.3 MiB  linux/amd64 -
registry.k8s.io/pause:3.10.1 application/vnd.oci.image.manifest.v1+json sha256:90dbcb173a39bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 330 KiB  linux/amd64 -
`;
    expect(parseImageList(out)).toEqual(
      new Map([
        ['docker.io/library/nginx:1.27', `sha256:4355c0c77839${'a'.repeat(52)}`],
        ['registry.k8s.io/pause:3.10.1', `sha256:90dbcb173a39${'b'.repeat(52)}`],
      ]),
    );
    expect(parseImageList('REF TYPE DIGEST SIZE PLATFORMS LABELS\n')).toEqual(new Map());
  });
});

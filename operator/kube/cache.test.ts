// ConfigMaps are watched for CA bundles only, Secrets for certificates only: the rest is dropped on the way in.
import { caBundleOnly, tlsKeysOnly } from './cache.ts';

it('a ConfigMap keeps only its ca.crt key', () => {
  const cm = {
    metadata: { name: 'ca', namespace: 'default', resourceVersion: '7' },
    data: { 'ca.crt': 'PEM', 'dashboard.json': 'x'.repeat(100_000) },
    binaryData: { blob: 'AAAA' },
  };
  expect(caBundleOnly(cm)).toEqual({ metadata: cm.metadata, data: { 'ca.crt': 'PEM' } });
  expect(caBundleOnly({ metadata: { name: 'other' }, data: { a: 'b' } } as never)).toEqual({
    metadata: { name: 'other' },
  });
});

it('a Secret keeps only tls.crt and tls.key', () => {
  const s = {
    metadata: { name: 'release', namespace: 'default' },
    type: 'helm.sh/release.v1',
    data: { release: 'x'.repeat(100_000), 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' },
  };
  expect(tlsKeysOnly(s)).toEqual({ ...s, data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' } });
  expect(tlsKeysOnly({ metadata: { name: 'token' }, data: { token: 'dG9r' } } as never)).toEqual({
    metadata: { name: 'token' },
  });
});

// ConfigMaps are watched for CA bundles only: everything but `ca.crt` is dropped on the way in.
import { caBundleOnly } from './cache.ts';

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

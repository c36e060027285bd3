import { packageName, productionPackages } from './node-apps.ts';

describe('packageName', () => {
  it('keeps the scope and drops subpaths', () => {
    expect(packageName('@grpc/grpc-js')).toBe('@grpc/grpc-js');
    expect(packageName('cdk8s-plus-34/lib/imports/k8s.js')).toBe('cdk8s-plus-34');
    expect(packageName('@scope/name/sub/path.js')).toBe('@scope/name');
  });
});

describe('productionPackages', () => {
  it('keeps what npm ci --omit=dev installs, nested ones included', () => {
    expect(
      productionPackages({
        packages: {
          '': {},
          'node_modules/pino': {},
          'node_modules/jest': { dev: true },
          'node_modules/a/node_modules/b': {},
          'node_modules/linked': { link: true },
        },
      }),
    ).toEqual(['node_modules/a/node_modules/b', 'node_modules/pino']);
  });
});

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

describe('the operator bundle', () => {
  it('loads neither client-node nor cdk8s: their generated APIs cost about 100 MiB of RSS', async () => {
    const { bundle } = await import('./node-apps.ts');
    const { packages } = await bundle('operator/main.ts');
    expect(packages).toEqual(expect.arrayContaining(['@grpc/grpc-js', 'pino']));
    for (const heavy of ['@kubernetes/client-node', 'cdk8s', 'cdk8s-plus-34', 'constructs'])
      expect(packages).not.toContain(heavy);
  }, 60000);

  it('loads RE2, node-forge and proto-loader only when used: about 15 MiB of RSS at start', async () => {
    const { bundle } = await import('./node-apps.ts');
    const { packages } = await bundle('operator/main.ts');
    // re2-wasm: a RegularExpression match; node-forge: the certgen Job; proto-loader: never (the
    // ADS service comes from the codec's schema, not a second protobufjs).
    for (const lazy of ['re2-wasm', 'node-forge', '@grpc/proto-loader']) expect(packages).not.toContain(lazy);
  }, 60000);
});

// The constructs as a user gets them: `npm pack`, installed offline from the tarball into a fresh
// folder, then README's authoring example compiled with tsc and run as written.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const repo = path.resolve('.');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-package-'));
const app = path.join(tmp, 'app');

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 600000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * npm resolves a tarball's dependencies from the registry; offline it needs them pinned. The
 * app's lockfile is the repository's production part, so npm ci takes them from npm's cache.
 */
function writeApp(tarball: string): void {
  const lock = JSON.parse(fs.readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; link?: boolean }>;
  };
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  const deps: Record<string, string> = { portico: `file:${tarball}` };
  for (const d of ['cdk8s', 'cdk8s-plus-34', 'constructs']) deps[d] = pkg.dependencies[d]!;
  const packages: Record<string, unknown> = { '': { name: 'app', dependencies: deps } };
  for (const [k, v] of Object.entries(lock.packages)) if (k && !v.dev && !v.link) packages[k] = v;
  packages['node_modules/portico'] = {
    version: pkg.version,
    resolved: `file:${tarball}`,
    dependencies: pkg.dependencies,
  };
  fs.mkdirSync(app, { recursive: true });
  const json = (f: string, v: unknown) => fs.writeFileSync(path.join(app, f), JSON.stringify(v, null, 2));
  json('package.json', { name: 'app', private: true, type: 'module', dependencies: deps });
  json('package-lock.json', { name: 'app', lockfileVersion: 3, requires: true, packages });
}

/** README's first TypeScript block after its heading "Authoring Gateways in TypeScript". */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Authoring Gateways in TypeScript'));
  return /```ts\n([\s\S]*?)```/.exec(section)![1]!;
}

describe('the portico package, installed from its tarball', () => {
  beforeAll(() => {
    const out = run('npm', ['pack', '--pack-destination', tmp], repo);
    const tarball = path.join(tmp, out.trim().split('\n').pop()!);
    fs.copyFileSync(tarball, path.join(tmp, 'portico.tgz'));
    writeApp('../portico.tgz');
    run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app);
  }, 900000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("resolves 'portico' to compiled JavaScript with type declarations", () => {
    const resolved = run(
      'node',
      ['--input-type=module', '-e', "console.log(import.meta.resolve('portico'))"],
      app,
    );
    expect(resolved.trim()).toMatch(/\/node_modules\/portico\/build\/constructs\/index\.js$/);
    const pkg = path.join(app, 'node_modules', 'portico');
    expect(fs.existsSync(path.join(pkg, 'build/constructs/index.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(pkg, 'constructs'))).toBe(false); // no TypeScript sources
  });

  it("compiles and runs README's example: the namespace it uses, and nginx as it runs", () => {
    fs.writeFileSync(path.join(app, 'main.ts'), readmeExample());
    const tsc = path.join(repo, 'node_modules', '.bin', 'tsc');
    run(tsc, ['--strict', '--module', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'main.ts'], app);
    run('node', ['main.js'], app);
    const docs = parseAllDocuments(fs.readFileSync(path.join(app, 'dist', 'shop.k8s.yaml'), 'utf8')).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; spec: never },
    );
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'Deployment', 'Service', 'Gateway', 'HTTPRoute']);
    expect(docs[0]!.metadata).toEqual({ name: 'shop' });
    for (const d of docs.slice(1)) expect(d.metadata.namespace).toBe('shop');
    const pod = (docs[1]!.spec as { template: { spec: { containers: Record<string, never>[] } } }).template
      .spec;
    // What nginx:1.27 needs to run on a small cluster without a registry (tests/cli.test.ts runs it).
    expect((docs[1]!.spec as { replicas: number }).replicas).toBe(1);
    expect(pod.containers[0]).toMatchObject({
      image: 'nginx:1.27',
      imagePullPolicy: 'IfNotPresent',
      ports: [{ containerPort: 80 }],
      securityContext: { runAsNonRoot: false, readOnlyRootFilesystem: false },
      resources: { requests: { cpu: '50m', memory: '32Mi' } },
    });
    expect(docs[2]!.spec).toMatchObject({ ports: [{ port: 80, targetPort: 80 }] });
  });

  it('a JavaScript user gets an error for a misspelt key', () => {
    fs.writeFileSync(
      path.join(app, 'typo.js'),
      `import { App, Chart } from 'cdk8s';
import { Gateway } from 'portico';
new Gateway(new Chart(new App(), 'shop'), 'gateway', { listeners: [{ name: 'http', protocl: 'HTTP' }] });
`,
    );
    const r = spawnSync('node', ['typo.js'], { cwd: app, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'PorticoValidationError: Gateway "shop/gateway": listeners[0].protocl is not a known field; did you mean "protocol"?',
    );
  });
});

// The folder map of docs/architecture.md, checked against the imports of every hand-written file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const isTestSide = (f: string) => f.endsWith('.test.ts') || /^(tests|test-support|bench)\//.test(f);

/** Importer folder -> folders it must never import (prefixes of repo paths). */
const FORBIDDEN: readonly (readonly [string, readonly string[]])[] = [
  ['constructs/', ['operator/', 'charts/']],
  ['operator/', ['local/', 'charts/']],
  ['operator/api/', ['operator/']],
  ['operator/ir/', ['operator/']],
  [
    'operator/translate/',
    [
      'operator/kube/',
      'operator/xds/',
      'operator/controller/',
      'operator/ipam/',
      'operator/envoy/',
      'constructs/',
    ],
  ],
  ['operator/ipam/', ['operator/kube/', 'operator/xds/', 'operator/controller/', 'operator/envoy/']],
  [
    'operator/kube/',
    ['operator/translate/', 'operator/xds/', 'operator/controller/', 'operator/ipam/', 'operator/envoy/'],
  ],
  ['operator/xds/', ['operator/translate/', 'operator/kube/', 'operator/controller/', 'operator/ipam/']],
  [
    'operator/envoy/',
    ['operator/translate/', 'operator/kube/', 'operator/controller/', 'operator/ipam/', 'operator/xds/'],
  ],
  // local/: the CLI on top; nodes and the light harness both stand on the control plane, never on each other.
  ['local/common/', ['local/']],
  ['local/toolchain/', ['local/']],
  ['local/backends/', ['local/', 'operator/', 'constructs/', 'charts/']],
  [
    'local/control-plane/',
    ['local/light/', 'local/nodes/', 'local/images/', 'local/conformance/', 'local/cli/'],
  ],
  [
    'local/images/',
    ['local/control-plane/', 'local/light/', 'local/nodes/', 'local/conformance/', 'local/cli/'],
  ],
  ['local/nodes/', ['local/light/', 'local/conformance/', 'local/cli/']],
  ['local/light/', ['local/nodes/', 'local/images/', 'local/conformance/', 'local/cli/']],
  ['local/conformance/', ['local/light/', 'local/cli/']],
];

/** Facts the constructs and the operator share, kept once in the constructs (pure: no cdk8s). */
const SHARED = new Set([
  'constructs/regex.ts',
  'constructs/ip.ts',
  'constructs/names.ts',
  'constructs/duration.ts',
]);

/** Production files that only tests import, on purpose: entry points that tests also run, and the light harness. */
const TEST_ONLY_IMPORTED = new Set([
  'operator/main.ts',
  'charts/synth.ts',
  'constructs/import-gateway-api.ts',
  'operator/api/generate.ts',
  'local/light/cluster.ts',
]);

export interface Edge {
  readonly from: string;
  readonly to: string;
}

/** Relative imports (static, re-exports and dynamic) of hand-written TypeScript, as repo paths. */
export function importEdges(files: readonly string[], read: (f: string) => string): Edge[] {
  const edges: Edge[] = [];
  for (const from of files) {
    for (const i of ts.preProcessFile(read(from), true, true).importedFiles) {
      if (!i.fileName.startsWith('.')) continue;
      edges.push({ from, to: path.posix.normalize(path.posix.join(path.posix.dirname(from), i.fileName)) });
    }
  }
  return edges;
}

export function folderViolations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    if (!isTestSide(from) && isTestSide(to)) out.push(`${from} imports test code ${to}`);
    else if (to.startsWith('tests/') && !from.startsWith('tests/'))
      out.push(`${from} imports the suite file ${to}: shared test code belongs in test-support/`);
    if (from.endsWith('.test.ts')) continue;
    for (const [folder, banned] of FORBIDDEN) {
      if (!from.startsWith(folder)) continue;
      const hit = !SHARED.has(to) && banned.find((b) => to.startsWith(b) && !to.startsWith(folder));
      if (hit) out.push(`${from} imports ${to} (${folder} never imports ${hit})`);
    }
  }
  return out;
}

/** Files in production folders whose every importer is a test, a benchmark, test support or such a file. */
export function testOnlyFiles(edges: readonly Edge[]): string[] {
  const importers = new Map<string, string[]>();
  for (const { from, to } of edges) importers.set(to, [...(importers.get(to) ?? []), from]);
  const testOnly = new Set<string>();
  const side = (f: string) => isTestSide(f) || testOnly.has(f);
  for (let grew = true; grew;) {
    grew = false;
    for (const [f, by] of importers) {
      if (side(f) || TEST_ONLY_IMPORTED.has(f) || !by.every(side)) continue;
      testOnly.add(f);
      grew = true;
    }
  }
  return [...testOnly].sort().map((f) => `${f} is imported only by tests: move it to test-support/`);
}

const handWritten = () =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f && !f.startsWith('agent/') && fs.existsSync(path.join(root, f)));

describe('folder rules', () => {
  const files = handWritten();
  const edges = importEdges(files, (f) => fs.readFileSync(path.join(root, f), 'utf8'));

  test('the repo has the folders the rules speak of', () => {
    expect(edges.length).toBeGreaterThan(300);
    for (const [folder] of FORBIDDEN) expect(files.some((f) => f.startsWith(folder))).toBe(true);
  });

  test('production code never imports tests, benchmarks or test support; layers import downwards only', () => {
    expect(folderViolations(edges)).toEqual([]);
  });

  test('the shared modules stay pure: no cdk8s, nothing else of the repo', () => {
    for (const f of SHARED) {
      const imports = ts
        .preProcessFile(fs.readFileSync(path.join(root, f), 'utf8'))
        .importedFiles.map((i) => i.fileName);
      expect(imports.filter((i) => i.startsWith('.') || /^(cdk8s|constructs)/.test(i))).toEqual([]);
    }
  });

  test('no test support hides in a production folder', () => {
    expect(testOnlyFiles(edges)).toEqual([]);
  });

  test('the checks catch what they are for', () => {
    expect(
      folderViolations([
        { from: 'operator/translate/routes.ts', to: 'operator/kube/rest.ts' },
        { from: 'operator/xds/server.ts', to: 'operator/translate/index.ts' },
        { from: 'local/cli/client.ts', to: 'test-support/steady-client.ts' },
        { from: 'local/nodes/node.ts', to: 'local/light/pods.ts' },
        { from: 'bench/operator.ts', to: 'tests/operator-harness.ts' },
        { from: 'operator/translate/routes.test.ts', to: 'test-support/translate/fixtures.ts' },
        { from: 'operator/translate/routes.ts', to: 'operator/translate/types.ts' },
      ]),
    ).toEqual([
      'operator/translate/routes.ts imports operator/kube/rest.ts (operator/translate/ never imports operator/kube/)',
      'operator/xds/server.ts imports operator/translate/index.ts (operator/xds/ never imports operator/translate/)',
      'local/cli/client.ts imports test code test-support/steady-client.ts',
      'local/nodes/node.ts imports local/light/pods.ts (local/nodes/ never imports local/light/)',
      'bench/operator.ts imports the suite file tests/operator-harness.ts: shared test code belongs in test-support/',
    ]);
    expect(
      testOnlyFiles([
        { from: 'operator/translate/routes.test.ts', to: 'operator/translate/scenario-helpers.ts' },
        { from: 'operator/translate/scenario-helpers.ts', to: 'operator/translate/fixtures.ts' },
        { from: 'operator/translate/routes.test.ts', to: 'operator/translate/routes.ts' },
        { from: 'operator/translate/index.ts', to: 'operator/translate/routes.ts' },
      ]),
    ).toEqual([
      'operator/translate/fixtures.ts is imported only by tests: move it to test-support/',
      'operator/translate/scenario-helpers.ts is imported only by tests: move it to test-support/',
    ]);
  });
});

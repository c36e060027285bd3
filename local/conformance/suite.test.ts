import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  manifestImages,
  staticAddresses,
  suiteArgs,
  summarizeReport,
  summaryTable,
  testLog,
  testResults,
} from './suite.ts';

const implementation = {
  organization: 'portico',
  project: 'portico',
  url: 'https://portico.dev',
  version: 'v0.1.0',
  contact: '@portico/maintainers',
};

describe('suiteArgs', () => {
  it('leaves features to the GatewayClass and raises go test timeout', () => {
    const args = suiteArgs({
      gatewayClass: 'portico',
      profiles: ['GATEWAY-HTTP', 'GATEWAY-TLS'],
      implementation,
      timeout: '90m',
    });
    expect(args).toContain('-gateway-class=portico');
    expect(args).toContain('-conformance-profiles=GATEWAY-HTTP,GATEWAY-TLS');
    expect(args).toContain('-test.timeout=90m');
    expect(args.some((a) => /supported-features|all-features|report-output/.test(a))).toBe(false);
  });

  it('names the implementation when it writes a report, and passes test selection through', () => {
    const args = suiteArgs({
      gatewayClass: 'portico',
      profiles: ['GATEWAY-HTTP'],
      implementation,
      reportPath: '/r.yaml',
      runTest: 'HTTPRouteSimpleSameNamespace',
      skipTests: ['A', 'B'],
      timeout: '10m',
    });
    expect(args).toEqual(
      expect.arrayContaining([
        '-report-output=/r.yaml',
        '-organization=portico',
        '-project=portico',
        '-url=https://portico.dev',
        '-version=v0.1.0',
        '-contact=@portico/maintainers',
        '-run-test=HTTPRouteSimpleSameNamespace',
        '-skip-tests=A,B',
      ]),
    );
  });
});

it('gives GatewayStaticAddresses the pool last address and one in no pool', () => {
  expect(staticAddresses('172.30.45.192/26')).toEqual({ usable: '172.30.45.254', unusable: '192.0.2.1' });
  const args = suiteArgs({
    gatewayClass: 'portico',
    profiles: ['GATEWAY-HTTP'],
    implementation: { organization: 'o', project: 'p', url: 'u', version: 'v', contact: 'c' },
    timeout: '90m',
    staticAddresses: staticAddresses('172.30.45.192/26'),
  });
  expect(args).toEqual(
    expect.arrayContaining(['-usable-address=172.30.45.254', '-unusable-address=192.0.2.1']),
  );
});

it('lists the images of the base and test manifests', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-suite-test-'));
  try {
    fs.mkdirSync(path.join(dir, 'base'));
    fs.mkdirSync(path.join(dir, 'tests'));
    fs.writeFileSync(
      path.join(dir, 'base', 'manifests.yaml'),
      'containers:\n- name: a\n  image: registry.k8s.io/gateway-api/echo-basic:v1.5.1\n- image: "x:1"\n',
    );
    fs.writeFileSync(
      path.join(dir, 'tests', 't.yaml'),
      '  - image: registry.k8s.io/gateway-api/echo-basic:v1.5.1\n',
    );
    fs.writeFileSync(path.join(dir, 'tests', 't.go'), 'image: not-yaml\n');
    expect(manifestImages(dir)).toEqual(['registry.k8s.io/gateway-api/echo-basic:v1.5.1', 'x:1']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('summarizes a ConformanceReport per profile', () => {
  const report = `
apiVersion: gateway.networking.k8s.io/v1
kind: ConformanceReport
profiles:
- name: GATEWAY-HTTP
  core:
    result: success
    statistics: {Failed: 0, Passed: 36, Skipped: 0}
  extended:
    result: partial
    statistics: {Failed: 1, Passed: 7, Skipped: 0}
    failedTests: [HTTPRoutePortRedirect]
    supportedFeatures: [HTTPRoutePortRedirect]
- name: GATEWAY-TLS
  core:
    result: success
    statistics: {Failed: 0, Passed: 19, Skipped: 0}
`;
  const s = summarizeReport(report);
  expect(s[0]).toEqual({
    name: 'GATEWAY-HTTP',
    core: { passed: 36, failed: 0, skipped: 0, failedTests: [] },
    extended: {
      passed: 7,
      failed: 1,
      skipped: 0,
      failedTests: ['HTTPRoutePortRedirect'],
      features: ['HTTPRoutePortRedirect'],
    },
  });
  expect(summaryTable(s).split('\n').slice(2)).toEqual([
    '| GATEWAY-HTTP | 36 / 0 / 0 | 7 / 1 / 0 |',
    '| GATEWAY-TLS | 19 / 0 / 0 | - |',
  ]);
});

it('reads top-level test results from go test -v output', () => {
  const out = [
    '--- FAIL: TestConformance (100.00s)',
    '    --- PASS: TestConformance/HTTPRouteSimpleSameNamespace (2.01s)',
    '        --- PASS: TestConformance/HTTPRouteSimpleSameNamespace/sub (0.01s)',
    '    --- FAIL: TestConformance/TLSRouteSimple (30.00s)',
    '    --- SKIP: TestConformance/GRPCRouteExactMatch (0.00s)',
  ].join('\n');
  expect(testResults(out)).toEqual([
    { name: 'HTTPRouteSimpleSameNamespace', result: 'PASS' },
    { name: 'TLSRouteSimple', result: 'FAIL' },
    { name: 'GRPCRouteExactMatch', result: 'SKIP' },
  ]);
});

it("testLog picks one test's interleaved sections and its summary", () => {
  const out = [
    '=== RUN   TestConformance/A',
    '=== PAUSE TestConformance/A',
    '=== CONT  TestConformance/AB',
    '    x.go:1: AB starts',
    '=== NAME  TestConformance/A',
    '    a.go:10: A applies',
    '=== RUN   TestConformance/A/sub',
    '    a.go:20: expected 200, got 404',
    '=== NAME  TestConformance/AB',
    '    x.go:2: AB ends',
    '--- FAIL: TestConformance (9.0s)',
    '    --- FAIL: TestConformance/A (2.0s)',
    '        --- FAIL: TestConformance/A/sub (1.0s)',
    '    --- PASS: TestConformance/AB (1.0s)',
    'FAIL',
  ].join('\n');
  expect(testLog(out, 'A')).toEqual([
    '=== RUN   TestConformance/A',
    '=== PAUSE TestConformance/A',
    '=== NAME  TestConformance/A',
    '    a.go:10: A applies',
    '=== RUN   TestConformance/A/sub',
    '    a.go:20: expected 200, got 404',
    '    --- FAIL: TestConformance/A (2.0s)',
    '        --- FAIL: TestConformance/A/sub (1.0s)',
  ]);
  expect(testLog(out, 'AB')).toEqual([
    '=== CONT  TestConformance/AB',
    '    x.go:1: AB starts',
    '=== NAME  TestConformance/AB',
    '    x.go:2: AB ends',
    '    --- PASS: TestConformance/AB (1.0s)',
  ]);
});

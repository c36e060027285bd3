// The upstream conformance suite's command line, the images its manifests name, and its report:
// pure helpers for local/conformance/run.ts.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** Profiles Portico claims: their core features are all in the GatewayClass's supportedFeatures. */
export const DEFAULT_PROFILES: readonly string[] = [
  'GATEWAY-HTTP',
  'GATEWAY-TLS',
  'GATEWAY-GRPC',
  'GATEWAY-TCP',
  'GATEWAY-UDP',
];

export interface SuiteArgsOptions {
  gatewayClass: string;
  profiles: readonly string[];
  /** Where the ConformanceReport YAML goes; none for partial runs. */
  reportPath?: string;
  implementation: { organization: string; project: string; url: string; version: string; contact: string };
  runTest?: string;
  skipTests?: readonly string[];
  /** Test these features instead of the GatewayClass's (to try a feature before claiming it). */
  supportedFeatures?: readonly string[];
  /** go test's own -timeout (the suite's 10-minute default is too short for a full run here). */
  timeout: string;
  /** GatewayStaticAddresses: an address the pool can give a Gateway, and one it cannot. */
  staticAddresses?: { usable: string; unusable: string };
}

/**
 * For GatewayStaticAddresses: the pool's last address (the pool hands out the lowest free ones
 * first, so no other Gateway holds it), and a documentation address (RFC 5737) in no pool.
 */
export function staticAddresses(poolCidr: string): { usable: string; unusable: string } {
  const [ip = '', bits = '32'] = poolCidr.split('/');
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const last = n + 2 ** (32 - Number(bits)) - 2;
  const usable = [24, 16, 8, 0].map((sh) => Math.floor(last / 2 ** sh) % 256).join('.');
  return { usable, unusable: '192.0.2.1' };
}

/**
 * Flags for the `go test -c` binary. Without `supportedFeatures` the suite reads the features from
 * the GatewayClass's status.supportedFeatures, so the report grades what Portico claims.
 */
export function suiteArgs(o: SuiteArgsOptions): string[] {
  const args = [
    '-test.run=^TestConformance$',
    '-test.v',
    `-test.timeout=${o.timeout}`,
    `-gateway-class=${o.gatewayClass}`,
    `-conformance-profiles=${o.profiles.join(',')}`,
    '-cleanup-base-resources=true',
  ];
  if (o.supportedFeatures) args.push(`-supported-features=${o.supportedFeatures.join(',')}`);
  if (o.staticAddresses)
    args.push(
      `-usable-address=${o.staticAddresses.usable}`,
      `-unusable-address=${o.staticAddresses.unusable}`,
    );
  if (o.runTest) args.push(`-run-test=${o.runTest}`);
  if (o.skipTests?.length) args.push(`-skip-tests=${o.skipTests.join(',')}`);
  if (o.reportPath) {
    const i = o.implementation;
    args.push(
      `-report-output=${o.reportPath}`,
      `-organization=${i.organization}`,
      `-project=${i.project}`,
      `-url=${i.url}`,
      `-version=${i.version}`,
      `-contact=${i.contact}`,
    );
  }
  return args;
}

/** Every `image:` of the suite's Gateway manifests (base and tests; mesh is out of scope). */
export function manifestImages(moduleDir: string): string[] {
  const images = new Set<string>();
  for (const dir of ['base', 'tests']) {
    for (const f of fs.readdirSync(path.join(moduleDir, dir))) {
      if (!f.endsWith('.yaml')) continue;
      for (const m of fs
        .readFileSync(path.join(moduleDir, dir, f), 'utf8')
        .matchAll(/^\s*-?\s*image:\s*(\S+)/gm))
        images.add(m[1]!.replace(/^["']|["']$/g, ''));
    }
  }
  return [...images].sort();
}

export interface ProfileSummary {
  name: string;
  core: { passed: number; failed: number; skipped: number; failedTests: string[] };
  extended?: { passed: number; failed: number; skipped: number; failedTests: string[]; features: string[] };
}

interface ReportStatus {
  statistics?: { Passed?: number; Failed?: number; Skipped?: number };
  failedTests?: string[];
  supportedFeatures?: string[];
}

function counts(s: ReportStatus | undefined) {
  return {
    passed: s?.statistics?.Passed ?? 0,
    failed: s?.statistics?.Failed ?? 0,
    skipped: s?.statistics?.Skipped ?? 0,
    failedTests: s?.failedTests ?? [],
  };
}

/** Per-profile counts from a ConformanceReport YAML, by profile name. */
export function summarizeReport(yamlText: string): ProfileSummary[] {
  const report = parse(yamlText) as {
    profiles?: { name: string; core?: ReportStatus; extended?: ReportStatus }[];
  };
  const profiles = [...(report.profiles ?? [])].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return profiles.map((p) => ({
    name: p.name,
    core: counts(p.core),
    ...(p.extended
      ? { extended: { ...counts(p.extended), features: p.extended.supportedFeatures ?? [] } }
      : {}),
  }));
}

/** A Markdown table: one row per profile, core and extended passed/failed/skipped. */
export function summaryTable(profiles: readonly ProfileSummary[]): string {
  const cell = (c: { passed: number; failed: number; skipped: number } | undefined) =>
    c ? `${c.passed} / ${c.failed} / ${c.skipped}` : '-';
  return [
    '| profile | core passed / failed / skipped | extended passed / failed / skipped |',
    '| --- | --- | --- |',
    ...profiles.map((p) => `| ${p.name} | ${cell(p.core)} | ${cell(p.extended)} |`),
  ].join('\n');
}

/** Test results from `go test -v` output: `--- PASS: TestConformance/Name (1.2s)`, top-level tests only. */
export function testResults(output: string): { name: string; result: 'PASS' | 'FAIL' | 'SKIP' }[] {
  const out: { name: string; result: 'PASS' | 'FAIL' | 'SKIP' }[] = [];
  for (const m of output.matchAll(/^ {4}--- (PASS|FAIL|SKIP): TestConformance\/([^/\s]+) /gm))
    out.push({ name: m[2]!, result: m[1] as 'PASS' | 'FAIL' | 'SKIP' });
  return out;
}

/**
 * The lines of `go test -v` output that belong to one test and its subtests: parallel tests
 * interleave, each section headed by `=== RUN|CONT|NAME|PAUSE  TestConformance/Name[/sub]`, and the
 * `--- FAIL` summary lines. What a failed CI run needs to show why.
 */
export function testLog(output: string, name: string): string[] {
  const own = (test: string) =>
    test === `TestConformance/${name}` || test.startsWith(`TestConformance/${name}/`);
  const out: string[] = [];
  let inside = false;
  for (const line of output.split('\n')) {
    const header = /^=== (?:RUN|CONT|NAME|PAUSE)\s+(\S+)/.exec(line);
    const summary = /^\s*--- (?:PASS|FAIL|SKIP): (\S+) /.exec(line);
    if (header) inside = own(header[1]!);
    else if (summary) inside = own(summary[1]!);
    else if (!/^\s/.test(line)) inside = false;
    if (inside) out.push(line);
  }
  return out;
}

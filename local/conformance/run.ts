// `npm run conformance`: the upstream Gateway API conformance suite against a real-node cluster.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { PORTICO_VERSION_TAG } from '../../constructs/agent-daemon-set.ts';
import { CONTROLLER_NAME } from '../../operator/translate/types.ts';
import { imageNames } from '../images/catalog.ts';
import { startNodesCluster, type NodesCluster } from '../nodes/cluster.ts';
import { networkIdFor, nodeNetwork, run } from '../nodes/network.ts';
import { waitFor } from '../common/process.ts';
import { ensureConformanceTools } from '../toolchain/install.ts';
import { toolchainSrc } from '../toolchain/paths.ts';
import { versions } from '../toolchain/versions.ts';
import {
  DEFAULT_PROFILES,
  manifestImages,
  staticAddresses,
  suiteArgs,
  summarizeReport,
  summaryTable,
  testResults,
  type ProfileSummary,
} from './suite.ts';

/** Node network 3: `portico up` uses 0, the test suites 1 and 2. */
export const CONFORMANCE_NETWORK_ID = 3;
/** 62 Gateway addresses: the base Gateways plus those of the tests that run in parallel. */
const POOL_PREFIX = 26;
const GATEWAY_CLASS = 'portico';

export interface ConformanceOptions {
  nodes?: number;
  profiles?: readonly string[];
  runTest?: string;
  skipTests?: readonly string[];
  /** Features to test besides the GatewayClass's (unclaimed ones, to see whether they pass). */
  extraFeatures?: readonly string[];
  /** ConformanceReport output; omitted for partial runs unless given. */
  reportPath?: string;
  /** Folder for the cluster's data and the suite's full log. @default a temp dir */
  dir?: string;
  log?: (line: string) => void;
}

export interface ConformanceResult {
  exitCode: number;
  seconds: number;
  suiteLog: string;
  tests: { name: string; result: 'PASS' | 'FAIL' | 'SKIP' }[];
  profiles?: ProfileSummary[];
  table?: string;
}

/** Fails unless every image the suite's manifests name is one we build (there is no registry). */
export function checkSuiteImages(): void {
  const r = spawnSync('go', ['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/gateway-api/conformance'], {
    cwd: path.join(toolchainSrc, 'conformance'),
    encoding: 'utf8',
  });
  const dir = r.stdout.trim();
  if (r.status !== 0 || !dir)
    throw new Error(`go list sigs.k8s.io/gateway-api/conformance: ${r.stderr.trim()}`);
  const built = new Set([...imageNames(), ...imageNames('conformance')]);
  const missing = manifestImages(dir).filter((i) => !built.has(i));
  if (missing.length > 0)
    throw new Error(`the suite's manifests name images local/images does not build: ${missing.join(', ')}`);
}

/**
 * The network rule: nothing the run starts may reach beyond this machine. Nodes (and so pods,
 * whose default route is their node) have no default route; the suite's CoreDNS `forward .
 * 8.8.8.8` therefore fails inside the node. Returns one line per node saying so, or throws.
 */
export function checkNoRouteOut(cluster: NodesCluster): string[] {
  return cluster.nodes.map((n) => {
    const ns = n.address.netns;
    const routes = run('ip', ['-n', ns, 'route', 'show', 'default']).trim();
    if (routes) throw new Error(`node ${n.address.name} has a default route (${routes}): refusing to run`);
    const probe = spawnSync('ip', ['-n', ns, 'route', 'get', '8.8.8.8'], { encoding: 'utf8' });
    if (probe.status === 0) throw new Error(`node ${n.address.name} routes 8.8.8.8: ${probe.stdout.trim()}`);
    return `${n.address.name}: no default route; 8.8.8.8 -> ${probe.stderr.trim()}`;
  });
}

async function supportedFeatures(cluster: NodesCluster): Promise<string[]> {
  const api = cluster.controlPlane.kubeConfig.makeApiClient(CustomObjectsApi);
  let names: string[] = [];
  await waitFor(
    `GatewayClass ${GATEWAY_CLASS} Accepted with supportedFeatures`,
    async () => {
      const gc = (await api.getClusterCustomObject({
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        plural: 'gatewayclasses',
        name: GATEWAY_CLASS,
      })) as {
        spec?: { controllerName?: string };
        status?: { conditions?: { type: string; status: string }[]; supportedFeatures?: { name: string }[] };
      };
      if (gc.spec?.controllerName !== CONTROLLER_NAME) return false;
      names = (gc.status?.supportedFeatures ?? []).map((f) => f.name);
      const accepted = gc.status?.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True');
      return Boolean(accepted) && names.length > 0;
    },
    { timeoutMs: 60000, intervalMs: 500 },
  );
  return names;
}

function runSuite(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  log: (l: string) => void,
) {
  return new Promise<number>((resolve, reject) => {
    const out = fs.createWriteStream(logFile);
    const child = spawn(bin, args, { env, cwd: path.dirname(logFile), stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const relay = (chunk: Buffer) => {
      out.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const r = /^ {4}--- (PASS|FAIL|SKIP): TestConformance\/(\S+) \(([\d.]+s)\)/.exec(l);
        if (r && r[1] !== 'SKIP') log(`${r[1]} ${r[2]} (${r[3]})`);
      }
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    const stop = () => child.kill('SIGTERM');
    process.once('SIGINT', stop);
    child.on('error', reject);
    child.on('close', (code) => {
      process.off('SIGINT', stop);
      out.end(() => resolve(code ?? 1));
    });
  });
}

export async function runConformance(opts: ConformanceOptions = {}): Promise<ConformanceResult> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  // Starting a cluster wipes whatever holds its node network: never another live run's.
  const networkId = networkIdFor(CONFORMANCE_NETWORK_ID);
  const bridge = nodeNetwork(networkId).bridge;
  if (spawnSync('ip', ['link', 'show', bridge], { stdio: 'ignore' }).status === 0)
    throw new Error(
      `node network ${networkId} is in use (bridge ${bridge}): another conformance run is going; wait for it to end`,
    );
  const tools = ensureConformanceTools(log);
  checkSuiteImages();
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'portico-conformance-'));
  fs.mkdirSync(dir, { recursive: true });
  const suiteLog = path.join(dir, 'suite.log');
  const cluster = await startNodesCluster({
    dir: path.join(dir, 'cluster'),
    nodes: opts.nodes ?? 3,
    networkId: CONFORMANCE_NETWORK_ID,
    poolPrefix: POOL_PREFIX,
    imageGroups: ['conformance'],
    // Experimental: its features (retries, TLSRoute mixed mode) are tested too; the report says so.
    gatewayApiChannel: 'experimental',
    log,
  });
  try {
    for (const line of checkNoRouteOut(cluster)) log(line);
    const features = await supportedFeatures(cluster);
    log(`GatewayClass ${GATEWAY_CLASS} supports ${features.join(', ')}`);
    const reportPath = opts.reportPath ? path.resolve(opts.reportPath) : undefined;
    if (reportPath) fs.mkdirSync(path.dirname(reportPath), { recursive: true });
    const args = suiteArgs({
      gatewayClass: GATEWAY_CLASS,
      profiles: opts.profiles ?? DEFAULT_PROFILES,
      reportPath,
      implementation: {
        organization: 'portico',
        project: 'portico',
        url: 'https://portico.dev',
        version: `v${PORTICO_VERSION_TAG}`,
        contact: '@portico/maintainers',
      },
      supportedFeatures: opts.extraFeatures?.length ? [...features, ...opts.extraFeatures] : undefined,
      runTest: opts.runTest,
      skipTests: opts.skipTests,
      timeout: '90m',
      staticAddresses: staticAddresses(cluster.poolCidr),
    });
    log(`running the conformance suite ${versions.gatewayApi} (full log: ${suiteLog})`);
    const exitCode = await runSuite(
      tools.suite,
      args,
      { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
      suiteLog,
      log,
    );
    const tests = testResults(fs.readFileSync(suiteLog, 'utf8'));
    const result: ConformanceResult = { exitCode, seconds: (Date.now() - started) / 1000, suiteLog, tests };
    if (reportPath && fs.existsSync(reportPath)) {
      result.profiles = summarizeReport(fs.readFileSync(reportPath, 'utf8'));
      result.table = summaryTable(result.profiles);
    }
    return result;
  } finally {
    log('stopping the cluster');
    await cluster.stop();
  }
}

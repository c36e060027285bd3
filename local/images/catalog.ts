// Every image the local cluster runs, under the exact names the charts use.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORTICO_VERSION_TAG } from '../../constructs/agent-daemon-set.ts';
import { ENVOY_IMAGE } from '../../constructs/envoy-daemon-set.ts';
import { OPERATOR_NODE_OPTIONS } from '../../constructs/operator.ts';
import { ensureEchoBasic } from '../toolchain/install.ts';
import { cacheDir, toolchainPaths } from '../toolchain/paths.ts';
import { libraryEntries } from './ldd.ts';
import { nginxEntries, nginxTree } from './nginx.ts';
import { APP_DIR, backendEntries, operatorEntries } from './node-apps.ts';
import type { RunConfig } from './oci.ts';
import { baseEntries, PATH_ENV } from './rootfs.ts';
import type { LayerEntry } from './tar.ts';

export const STAND_IN_LABEL = 'dev.portico.stand-in';

export const OPERATOR_IMAGE = `portico/operator:${PORTICO_VERSION_TAG}`;
export const AGENT_IMAGE = `portico/agent:${PORTICO_VERSION_TAG}`;
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10.1';
export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.12.2';
export const NGINX_IMAGE = 'docker.io/library/nginx:1.27';
export const ECHO_IMAGE = 'registry.k8s.io/e2e-test-images/echoserver:2.5';
/** echo-basic at every tag the pinned conformance suite's manifests name (base and tests). */
export const ECHO_BASIC_IMAGES: readonly string[] = ['v1.5.1', 'v1.6.0-dev.2', 'v1.6.0-dev.3'].map(
  (tag) => `registry.k8s.io/gateway-api/echo-basic:${tag}`,
);
const bookinfo = (name: string) => `docker.io/istio/examples-bookinfo-${name}:1.20.2`;

/** Images served by local/backends/server.ts instead of the upstream program: name -> [kind, port]. */
const STAND_INS: Record<string, [kind: string, port: number]> = {
  [ECHO_IMAGE]: ['echo', 8080],
  [bookinfo('details-v1')]: ['details', 9080],
  [bookinfo('ratings-v1')]: ['ratings', 9080],
  [bookinfo('reviews-v1')]: ['reviews', 9080],
  [bookinfo('reviews-v2')]: ['reviews', 9080],
  [bookinfo('reviews-v3')]: ['reviews', 9080],
  [bookinfo('productpage-v1')]: ['productpage', 9080],
};

/** Names of the images that are our stand-ins, not the upstream programs (the demo says so). */
export const STAND_IN_IMAGES: readonly string[] = Object.keys(STAND_INS);

/** Images only some runs need; `portico up` builds and imports only the ungrouped ones. */
export type ImageGroup = 'conformance';

export interface ImageDefinition {
  name: string;
  standIn: boolean;
  /** Built only when asked for by name or group. @default built for every cluster */
  group?: ImageGroup;
  /** Shown beside the name, e.g. which program really runs (a function: known after `layers`). */
  note?: string | (() => string);
  /** Layers, bottom first; images that share a layer share its blob and snapshot in containerd. */
  layers(log: (line: string) => void): Promise<LayerEntry[][]>;
  config: RunConfig;
}

const NODE = '/usr/local/bin/node';

/** node and its libraries, plus the base files: shared by the operator and every stand-in. */
function nodeRuntime(): LayerEntry[] {
  const node = fs.realpathSync(process.execPath);
  return [
    ...baseEntries(),
    { type: 'file', path: NODE, mode: 0o755, source: node },
    ...libraryEntries([node]),
  ];
}

function binaryFromToolchain(what: 'envoy' | 'coredns'): string {
  const bin = toolchainPaths()[what];
  if (!fs.existsSync(bin)) throw new Error(`${what} is not built yet (${bin}): run \`npm run toolchain\``);
  return bin;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The static pause program, compiled once per source version. */
function pauseBinary(log: (line: string) => void): string {
  const src = path.join(here, 'pause.c');
  const hash = crypto.createHash('sha256').update(fs.readFileSync(src)).digest('hex').slice(0, 16);
  const out = path.join(cacheDir(), 'images', 'bin', `pause-${hash}`);
  if (fs.existsSync(out)) return out;
  log('compiling pause (gcc -static)');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const r = spawnSync('gcc', ['-static', '-O2', '-s', '-Wall', '-o', tmp, src], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`gcc -static pause.c failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
  fs.renameSync(tmp, out);
  return out;
}

const agentDir = path.join(here, '..', '..', 'agent');

/** Every file `go build` of the agent reads, for the cache key. */
function agentSources(dir = agentDir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testdata' ? [] : agentSources(p);
    return /(?<!_test)\.go$|\.o$|^go\.(mod|sum)$/.test(e.name) ? [p] : [];
  });
}

/** The node agent (agent/, Go), built static once per source version. */
function agentBinary(log: (line: string) => void): string {
  const h = crypto.createHash('sha256');
  for (const f of agentSources().sort()) h.update(path.relative(agentDir, f)).update(fs.readFileSync(f));
  const out = path.join(cacheDir(), 'images', 'bin', `portico-agent-${h.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(out)) return out;
  log('building the node agent (go build ./cmd/portico-agent)');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const r = spawnSync('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', tmp, './cmd/portico-agent'], {
    cwd: agentDir,
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`go build of the agent failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
  fs.renameSync(tmp, out);
  return out;
}

export function imageDefinitions(): ImageDefinition[] {
  let nginxVersion = '?';
  const standIns = Object.entries(STAND_INS).map(([name, [kind, port]]): ImageDefinition => ({
    name,
    standIn: true,
    note: `local/backends/server.ts ${kind} ${port}`,
    layers: async () => [nodeRuntime(), await backendEntries()],
    config: {
      Entrypoint: [NODE, `${APP_DIR}/server.js`, kind, String(port)],
      Env: [PATH_ENV],
      WorkingDir: APP_DIR,
      ExposedPorts: { [`${port}/tcp`]: {} },
      Labels: { [STAND_IN_LABEL]: 'true' },
    },
  }));
  return [
    {
      name: OPERATOR_IMAGE,
      standIn: false,
      layers: async () => [nodeRuntime(), await operatorEntries()],
      config: {
        Entrypoint: [NODE, `${APP_DIR}/main.js`],
        Env: [PATH_ENV, 'NODE_ENV=production', `NODE_OPTIONS=${OPERATOR_NODE_OPTIONS.join(' ')}`],
        User: '65532:65532',
        WorkingDir: APP_DIR,
      },
    },
    {
      name: ENVOY_IMAGE,
      standIn: false,
      layers: async () => {
        const envoy = binaryFromToolchain('envoy');
        return [
          [
            ...baseEntries(),
            { type: 'file', path: '/usr/local/bin/envoy', mode: 0o755, source: envoy },
            ...libraryEntries([envoy]),
          ],
        ];
      },
      config: {
        Entrypoint: ['/usr/local/bin/envoy'],
        Cmd: ['-c', '/etc/envoy/envoy.yaml'],
        Env: [PATH_ENV],
        User: '101:101',
      },
    },
    {
      name: AGENT_IMAGE,
      standIn: false,
      layers: async (log) => [
        [...baseEntries(), { type: 'file', path: '/portico-agent', mode: 0o755, source: agentBinary(log) }],
      ],
      config: { Entrypoint: ['/portico-agent'], ExposedPorts: { '9964/tcp': {} } },
    },
    {
      name: PAUSE_IMAGE,
      standIn: false,
      note: 'portico pause.c',
      layers: async (log) => [[{ type: 'file', path: '/pause', mode: 0o755, source: pauseBinary(log) }]],
      config: { Entrypoint: ['/pause'], User: '65535:65535' },
    },
    {
      name: COREDNS_IMAGE,
      standIn: false,
      layers: async () => [
        [
          ...baseEntries(),
          { type: 'file', path: '/coredns', mode: 0o755, source: binaryFromToolchain('coredns') },
        ],
      ],
      config: { Entrypoint: ['/coredns'], ExposedPorts: { '53/tcp': {}, '53/udp': {} } },
    },
    {
      name: NGINX_IMAGE,
      standIn: false,
      note: () => `nginx ${nginxVersion} from Debian's packages`,
      layers: async (log) => {
        const tree = nginxTree(log);
        nginxVersion = tree.version;
        return [[...baseEntries(), ...nginxEntries(tree.dir)]];
      },
      config: {
        Cmd: ['nginx', '-g', 'daemon off;'],
        Env: [PATH_ENV],
        ExposedPorts: { '80/tcp': {} },
        StopSignal: 'SIGQUIT',
      },
    },
    ...standIns,
    // The suite's own backend, built from its module: one binary under every tag its manifests use.
    ...ECHO_BASIC_IMAGES.map((name): ImageDefinition => ({
      name,
      standIn: false,
      group: 'conformance',
      note: 'echo-basic from sigs.k8s.io/gateway-api/conformance',
      layers: async (log) => [
        [...baseEntries(), { type: 'file', path: '/echo-basic', mode: 0o755, source: ensureEchoBasic(log) }],
      ],
      config: { Entrypoint: ['/echo-basic'], User: '65532:65532', WorkingDir: '/' },
    })),
  ];
}

/** Names of the images of `group`, or of the images every cluster gets. */
export function imageNames(group?: ImageGroup): string[] {
  return imageDefinitions()
    .filter((d) => d.group === group)
    .map((d) => d.name);
}

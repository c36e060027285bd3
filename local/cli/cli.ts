import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { NodesCluster } from '../nodes/cluster.ts';
import { UsageError } from './errors.ts';
import { alive, waitFor, writeLogsTo } from '../common/process.ts';
import { clearState, homeDir, readState, writeState } from './state.ts';
import { GATEWAY_API_CHANNELS, type GatewayApiChannel } from '../toolchain/paths.ts';
import { versions } from '../toolchain/versions.ts';

// Heavy modules (cdk8s, the Kubernetes client) load only for the command that needs them.

const EXIT_CODES = `exit codes (every command):
  0  done; for status: every component ready and no problem listed
  1  something failed or is wrong: a component did not start, a demo check failed,
     status listed a problem (or --wait ran out of time)
  2  bad usage or an unmet prerequisite (unknown flag, not root, no cluster up, port taken)`;

const COMMANDS: Record<string, string> = {
  up: `usage: portico up [--detach] [--nodes N] [--port N] [--gateway-api-channel C]

Starts a local cluster of real nodes on this machine (a control plane and workers, each with
containerd, kubelet and kube-proxy in its own network namespaces) and installs Portico into it.
Needs root. Runs in the foreground until Ctrl-C, which stops the cluster and deletes its data.

  --detach    run in the background; \`portico down\` stops it
  --nodes N   number of nodes, 1 to 9 (default 3: portico-control-plane, portico-worker, portico-worker2)
  --port N    TCP port kube-apiserver listens on, on the node network's host address (172.30.0.1);
              the kubeconfig points there (default: a free port)
  --gateway-api-channel C
              Gateway API CRDs to install: standard (default) or experimental (adds
              HTTPRoute retry, TLSRoute mixed modes on one port and the X* kinds)`,
  down: `usage: portico down

Stops the cluster that \`portico up --detach\` started and deletes its data (etcd, certificates,
node files under ~/.portico/cluster): the next \`portico up\` starts empty. Logs stay in
~/.portico/logs until the next \`portico up\`.`,
  status: `usage: portico status [--wait]

Nodes, Portico's pods, GatewayClasses, Gateways and routes of the running cluster, and what is wrong
with each. Exits 1 when anything is not ready or a problem is listed.

  --wait      first wait up to 5 minutes for every node and Portico pod to be ready`,
  logs: `usage: portico logs [COMPONENT] [-f]

Prints a component's logs; without COMPONENT, lists them. Host components (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler, and containerd, kubelet, kube-proxy of every node) write
to ~/.portico/logs; Portico's pods (operator, envoy, agent) and coredns are read through the API.

  -f, --follow   keep printing new lines until Ctrl-C`,
  demo: `usage: portico demo

Replays the seed lab end to end (bookinfo, HTTPS, TLS passthrough, traffic splits) on the running
cluster, or on a temporary one of its own, and checks every result. Needs root.`,
};

const HELP = `usage: portico <command> [flags]      (portico <command> --help for one command)

commands:
  up [--detach] [--nodes N] [--port N] [--gateway-api-channel C]
                  start a local cluster of real nodes and install Portico into it
  down            stop the cluster that \`up --detach\` started and delete its data
  status [--wait] nodes, Portico's pods, Gateways and routes, and what is wrong with them
  logs [COMPONENT] [-f]
                  a component's logs (operator, envoy, agent, kube-apiserver, kubelet, ...)
  demo            replay the seed lab end to end on a local cluster and check every result

  --version       Portico's version and the pinned versions of the parts it runs
  -h, --help      this text

${EXIT_CODES}
`;

const self = fileURLToPath(import.meta.url);

const isChannel = (c: string): c is GatewayApiChannel =>
  (GATEWAY_API_CHANNELS as readonly string[]).includes(c);

function requireRoot(what: string): void {
  if (process.getuid?.() !== 0)
    throw new UsageError(`${what} needs root (network namespaces, ports below 1024): run it with sudo`);
}

async function up(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      detach: { type: 'boolean' },
      daemon: { type: 'boolean' },
      port: { type: 'string' },
      nodes: { type: 'string' },
      'gateway-api-channel': { type: 'string' },
    },
    strict: true,
  });
  const channel = values['gateway-api-channel'] ?? 'standard';
  if (!isChannel(channel))
    throw new UsageError(
      `--gateway-api-channel must be ${GATEWAY_API_CHANNELS.join(' or ')}, got "${channel}"`,
    );
  const running = readState();
  if (running) {
    throw new UsageError(
      `a cluster is already up (pid ${running.pid}): export KUBECONFIG=${running.kubeconfigPath}, or \`portico down\` first`,
    );
  }
  requireRoot('portico up');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new UsageError(`--port must be a TCP port, got "${values.port}"`);
    if (!(await portFree(port)))
      throw new UsageError(`port ${port} is already in use: pick another with --port`);
  }
  const nodes = values.nodes === undefined ? 3 : Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9)
    throw new UsageError(`--nodes must be 1 to 9, got "${values.nodes}"`);
  if (values.detach) return detach(argv.filter((a) => a !== '--detach'));

  const log = (line: string) => console.log(`portico: ${line}`);
  const dataDir = path.join(homeDir(), 'cluster');
  const { logsDir } = await import('./logs.ts');
  fs.rmSync(logsDir(), { recursive: true, force: true });
  writeLogsTo(logsDir());
  let cluster: NodesCluster | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await cluster?.stop();
    deleteData(dataDir, log);
    clearState(process.pid);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const base = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    poolCidr: '',
    kubeconfigPath: '',
    server: '',
    ready: false,
  };
  writeState(base);
  try {
    const { startNodesCluster } = await import('../nodes/cluster.ts');
    cluster = await startNodesCluster({
      dir: dataDir,
      apiserverPort: port,
      nodes,
      // Tests run their own cluster beside a user's: each on its own node network.
      networkId: Number(process.env.PORTICO_NETWORK_ID ?? 0),
      gatewayApiChannel: channel,
      log,
    });
  } catch (err) {
    deleteData(dataDir, log);
    clearState(process.pid);
    throw err;
  }
  writeState({
    ...base,
    kubeconfigPath: cluster.kubeconfigPath,
    server: cluster.controlPlane.server,
    poolCidr: cluster.poolCidr,
    nodes: cluster.nodes.map((n) => ({ name: n.address.name, ip: n.address.ip, netns: n.address.netns })),
    logFile: values.daemon ? path.join(homeDir(), 'up.log') : undefined,
    ready: true,
  });
  log(`ready. Gateway addresses come from ${cluster.poolCidr}, announced on the node network by the agents`);
  console.log(`export KUBECONFIG=${cluster.kubeconfigPath}`);
  if (!values.daemon) log('press Ctrl-C to stop');
  void cluster.exited.then((what) => {
    log(`${what} exited; stopping`);
    void shutdown(1);
  });
}

/** Re-runs `up` as a background daemon and returns once it reports ready. */
async function detach(upArgs: string[]): Promise<void> {
  fs.mkdirSync(homeDir(), { recursive: true });
  const logFile = path.join(homeDir(), 'up.log');
  const out = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', self, 'up', '--daemon', ...upArgs], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  let lastLine = 0;
  const relay = () => {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n');
    for (const l of lines.slice(lastLine, -1)) if (!l.startsWith('export ')) console.log(l);
    lastLine = Math.max(lastLine, lines.length - 1);
  };
  await waitFor(
    'the cluster to come up',
    async () => {
      relay();
      if (!alive(child.pid!)) throw new UsageError(`portico up failed; see ${logFile}`);
      return readState()?.ready === true;
    },
    { timeoutMs: 30 * 60 * 1000, intervalMs: 200 },
  ).catch((err: Error) => {
    relay();
    throw err instanceof UsageError ? err : new UsageError(`${err.message.split('\n')[0]}; see ${logFile}`);
  });
  const state = readState()!;
  console.log(`portico: running in the background (pid ${state.pid}); \`portico down\` stops it`);
  console.log(`export KUBECONFIG=${state.kubeconfigPath}`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    // Any address: kube-apiserver binds the node network's gateway, which does not exist yet.
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** The cluster's data, unless something is still mounted under it (then it stays, and we say so). */
function deleteData(dir: string, log: (line: string) => void): void {
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n');
  if (mounts.some((l) => l.split(' ')[1]?.startsWith(`${dir}/`))) {
    log(`kept ${dir}: something is still mounted under it`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

async function down(argv: string[]): Promise<void> {
  parseArgs({ args: argv, options: {}, strict: true });
  const state = readState();
  if (!state) throw new UsageError('no cluster is up (nothing to stop)');
  process.kill(state.pid, 'SIGTERM');
  await waitFor(`portico up (pid ${state.pid}) to stop`, async () => !alive(state.pid), { timeoutMs: 60000 });
  const dir = path.join(homeDir(), 'cluster');
  if (fs.existsSync(dir))
    throw new Error(`stopped, but the cluster's data is still in ${dir} (see ${state.logFile ?? 'up.log'})`);
  console.log(`portico: stopped; deleted the cluster's data (${dir})`);
}

function version(): void {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(path.dirname(self), '..', '..', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  console.log(`portico ${pkg.version}`);
  const width = Math.max(...Object.keys(versions).map((k) => k.length));
  for (const [part, v] of Object.entries(versions))
    console.log(`  ${part.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).padEnd(width + 1)}  ${v}`);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd && COMMANDS[cmd] && rest.some((a) => a === '--help' || a === '-h')) {
    console.log(`${COMMANDS[cmd]}\n\n${EXIT_CODES}`);
    return;
  }
  switch (cmd) {
    case 'up':
      return up(rest);
    case 'down':
      return down(rest);
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { wait: { type: 'boolean' } }, strict: true });
      const { printStatus } = await import('./status.ts');
      if (!(await printStatus({ waitMs: values.wait ? 300000 : undefined }))) process.exitCode = 1;
      return;
    }
    case 'logs': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { follow: { type: 'boolean', short: 'f' } },
        allowPositionals: true,
        strict: true,
      });
      const logs = await import('./logs.ts');
      if (positionals.length > 1)
        throw new UsageError('portico logs takes one component (try: portico logs --help)');
      if (positionals.length === 0) {
        console.log(`components: ${logs.logComponents().join(', ')}`);
        return;
      }
      return logs.printLogs(positionals[0]!, values.follow ?? false);
    }
    case 'demo': {
      parseArgs({ args: rest, options: {}, strict: true });
      requireRoot('portico demo');
      const { runDemo } = await import('./demo.ts');
      process.exitCode = (await runDemo()) ? 0 : 1;
      return;
    }
    case '--version':
    case 'version':
      return version();
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return;
    default:
      throw new UsageError(`unknown command "${cmd}" (try: portico --help)`);
  }
}

// `portico status | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as Error & { code?: string };
  const usage = err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS');
  if (usage || e.name === 'ToolchainError') {
    console.error(`portico: ${e.message}`);
    process.exit(2);
  }
  // A component that failed: one line here, its logs and the stack in a file.
  const file = path.join(homeDir(), 'error.log');
  try {
    fs.mkdirSync(homeDir(), { recursive: true });
    fs.writeFileSync(file, `${e.stack ?? String(err)}\n`);
  } catch {
    /* the line below still says what failed */
  }
  console.error(`portico: ${String(e.message ?? err).split('\n')[0]} (details: ${file})`);
  process.exit(1);
});

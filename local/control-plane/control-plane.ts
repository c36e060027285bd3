import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { applyManifests, waitForCrds } from './apply.ts';
import { freePort, startProcess, waitFor, type Managed } from '../common/process.ts';
import { findToolchain } from '../toolchain/install.ts';
import { gatewayCrdDir, type GatewayApiChannel } from '../toolchain/paths.ts';

export interface ControlPlaneOptions {
  /** Also run kube-controller-manager (namespace deletion, garbage collection, service accounts). */
  controllerManager?: boolean;
  /** kube-apiserver's port on 127.0.0.1 (default: a free one). */
  apiserverPort?: number;
  /** Folder for etcd data, certificates and the kubeconfig (default: a new temp dir, removed on stop). */
  dir?: string;
  timeoutMs?: number;
  /**
   * Serve real nodes: kube-apiserver listens on this address (the host's end of the node network)
   * instead of loopback, authorizes kubelets (Node,RBAC), publishes the `kubernetes` Service, and
   * every controller and kube-scheduler run.
   */
  nodes?: { address: string; users: TokenUser[] };
  /** More kube-apiserver flags (e.g. `--watch-cache=false`, so watches read etcd's own history). */
  apiserverArgs?: string[];
  /**
   * Called before a kube-apiserver stuck on its first Service IP repair is restarted, with why
   * (default: a line on stderr).
   */
  onApiserverRestart?: (why: string) => void | Promise<void>;
}

/** A static token user (kubelets, kube-proxy) in kube-apiserver's token file. */
export interface TokenUser {
  readonly token: string;
  readonly user: string;
  readonly groups: readonly string[];
}

export interface ControlPlane {
  /** https://127.0.0.1:<port>, or the node-network address with `nodes` */
  readonly server: string;
  /** A kubeconfig file for the cluster admin (group system:masters). */
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly dir: string;
  /** The API server's serving CA (PEM). */
  readonly caPem: string;
  readonly processes: readonly Managed[];
  /** etcd's client URL (plain HTTP on loopback). */
  readonly etcdUrl: string;
  /** Compacts etcd up to its current revision (history older than now is gone); returns it. */
  compactEtcd(): Promise<number>;
  /** Kills etcd (SIGKILL) and starts it again on the same data and ports; returns once healthy. */
  restartEtcd(): Promise<void>;
  /** Kills kube-apiserver (SIGKILL) and starts it again on the same port; returns once ready. */
  restartApiserver(): Promise<void>;
  /** Installs the pinned Gateway API CRDs of a channel and waits until they are Established. */
  installGatewayCrds(channel?: GatewayApiChannel): Promise<void>;
  /** Server-side-applies every document of a YAML or JSON text (field manager `portico-local`). */
  applyYaml(text: string): Promise<void>;
  /** A kubeconfig for a ServiceAccount, with a token the API server issued (for RBAC tests). */
  serviceAccountKubeConfig(namespace: string, name: string): Promise<KubeConfig>;
  /** Runs `hook` once the processes have stopped: to release what was claimed for this cluster. */
  onStop(hook: () => void): void;
  stop(): Promise<void>;
}

const ADMIN_USER = 'portico-admin';

/** Starts real etcd and kube-apiserver (token authentication, RBAC authorization) on loopback. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const tools = findToolchain();
  const ownDir = !opts.dir;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'portico-cp-'));
  fs.mkdirSync(path.join(dir, 'pki'), { recursive: true });
  const timeoutMs = opts.timeoutMs ?? 60000;
  const processes: Managed[] = [];
  const stopHooks: (() => void)[] = [];
  const stopAll = async () => {
    try {
      for (const p of [...processes].reverse()) await p.stop();
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      for (const hook of stopHooks.splice(0)) hook();
    }
  };

  try {
    const etcd = await startEtcd(tools.etcd, dir, timeoutMs);
    processes.push(etcd.proc);
    const etcdUrl = etcd.url;
    const token = crypto.randomBytes(24).toString('hex');
    const host = opts.nodes?.address ?? '127.0.0.1';
    const apiserverOpts: ApiserverOptions = {
      dir,
      etcdUrl,
      token,
      timeoutMs,
      host,
      fixedPort: opts.apiserverPort,
      nodes: opts.nodes,
      args: opts.apiserverArgs ?? [],
    };
    const { port, proc } = await startApiserver(tools.kubeApiserver, apiserverOpts);
    processes.push(proc);
    const server = `https://${host}:${port}`;
    const caPem = fs.readFileSync(path.join(dir, 'pki', 'apiserver.crt'), 'utf8');
    /** Replaces a process in `processes` (same slot, so stop order stays the same). */
    const replace = async (old: Managed, start: () => Promise<Managed>) => {
      process.kill(-old.child.pid!, 'SIGKILL');
      await old.exited;
      const i = processes.indexOf(old);
      const fresh = await start();
      processes[i] = fresh;
      return fresh;
    };
    const restartOnPort = async () =>
      (await startApiserver(tools.kubeApiserver, { ...apiserverOpts, fixedPort: port }, true)).proc;
    /**
     * Waits for /readyz. A kube-apiserver whose first Service IP repair failed never retries it
     * (kubernetes/kubernetes#136288): it stays unready and exits a minute later. A supervisor
     * restarts it then, and so do we, as soon as that hook is all that keeps it from ready.
     */
    const apiserverReady = async (p: Managed) => {
      for (let restarts = 0; ; restarts++) {
        const stuck = await waitApiserverReady(server, token, caPem, p, timeoutMs, restarts < 2);
        if (!stuck) return;
        const errors = p
          .logs()
          .split('\n')
          .filter((l) => /^E\d{4} .*repair/i.test(l));
        const why = [`${stuck}; restarting it`, ...errors.slice(-3)].join('\n');
        await (opts.onApiserverRestart ?? ((w) => void process.stderr.write(`kube-apiserver: ${w}\n`)))(why);
        p = await replace(p, restartOnPort);
      }
    };
    await apiserverReady(proc);
    const kubeConfig = kubeConfigFor(server, caPem, ADMIN_USER, token);
    const kubeconfigPath = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfigPath, kubeConfig.exportConfig(), { mode: 0o600 });
    if (opts.controllerManager || opts.nodes) {
      processes.push(
        await startControllerManager(
          tools.kubeControllerManager,
          dir,
          kubeconfigPath,
          timeoutMs,
          !!opts.nodes,
        ),
      );
    }
    if (opts.nodes) processes.push(await startScheduler(tools.kubeScheduler, kubeconfigPath, timeoutMs));
    return {
      server,
      kubeconfigPath,
      kubeConfig,
      dir,
      caPem,
      processes,
      etcdUrl,
      compactEtcd: () => compactEtcd(etcdUrl),
      async restartEtcd() {
        const current = processes.find((p) => p.name === 'etcd')!;
        await replace(current, etcd.restart);
      },
      async restartApiserver() {
        const current = processes.find((p) => p.name === 'kube-apiserver')!;
        await apiserverReady(await replace(current, restartOnPort));
      },
      async installGatewayCrds(channel: GatewayApiChannel = 'standard') {
        const crdDir = gatewayCrdDir(tools, channel);
        const docs = fs
          .readdirSync(crdDir)
          .sort()
          .map((f) => fs.readFileSync(path.join(crdDir, f), 'utf8'));
        const names = await applyManifests(kubeConfig, docs.join('\n---\n'), 'portico-local');
        await waitForCrds(kubeConfig, names, timeoutMs);
      },
      async applyYaml(text: string) {
        const names = await applyManifests(kubeConfig, text, 'portico-local');
        await waitForCrds(kubeConfig, names, timeoutMs);
      },
      serviceAccountKubeConfig: (namespace, name) =>
        serviceAccountKubeConfig(kubeConfig, server, caPem, namespace, name),
      onStop: (hook) => void stopHooks.push(hook),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

interface Restartable {
  url: string;
  proc: Managed;
  /** Starts the same command again (same ports, same data) and waits until it is healthy. */
  restart(): Promise<Managed>;
}

/**
 * Starts etcd on loopback. Ports are picked free and then bound by the child, so another run may
 * win the race: retry then. Its member name is its own, and health counts only when that member
 * answers: another run's etcd on the same port would otherwise pass for this one (an API server
 * on someone else's data).
 */
export async function startEtcd(
  bin: string,
  dir: string,
  timeoutMs: number,
  pickPort: () => Promise<number> = freePort,
): Promise<Restartable> {
  const name = `portico-${crypto.randomBytes(6).toString('hex')}`;
  for (let attempt = 0; ; attempt++) {
    const [client, peer] = [await pickPort(), await pickPort()];
    const clientUrl = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const spawn = async () => {
      const proc = startProcess('etcd', bin, [
        `--name=${name}`,
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${name}=${peerUrl}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]);
      try {
        await waitFor('etcd /health', async () => (await etcdMembers(clientUrl)).includes(name), {
          process: proc,
          timeoutMs,
        });
      } catch (err) {
        await proc.stop();
        throw Object.assign(err as Error, { logs: proc.logs() });
      }
      return proc;
    };
    try {
      return { url: clientUrl, proc: await spawn(), restart: spawn };
    } catch (err) {
      const logs = (err as { logs?: string }).logs ?? '';
      if (attempt >= 2 || !/address already in use/.test(logs)) throw err;
    }
  }
}

/** POST to etcd's JSON gateway (v3 API). */
/** One call of etcd's JSON gateway (`api` under /v3/), e.g. `kv/put`. */
export async function etcdCall<T>(url: string, api: string, body: unknown): Promise<T> {
  const res = await fetch(`${url}/v3/${api}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`etcd ${api}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The member names of the etcd at `url`, once it is healthy. */
async function etcdMembers(url: string): Promise<string[]> {
  if (!(await fetch(`${url}/health`)).ok) return [];
  const r = await etcdCall<{ members?: { name?: string }[] }>(url, 'cluster/member/list', {});
  return (r.members ?? []).map((m) => m.name ?? '');
}

async function compactEtcd(url: string): Promise<number> {
  // A range read returns the store's current revision in its header.
  const r = await etcdCall<{ header: { revision: string } }>(url, 'kv/range', {
    key: Buffer.from('/').toString('base64'),
    limit: 1,
  });
  const revision = Number(r.header.revision);
  await etcdCall(url, 'kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

interface ApiserverOptions {
  dir: string;
  etcdUrl: string;
  token: string;
  timeoutMs: number;
  host: string;
  fixedPort?: number;
  nodes?: { users: TokenUser[] };
  args?: string[];
}

/** Starts kube-apiserver; `restart` keeps the service-account keys and serving certificate on disk. */
async function startApiserver(
  bin: string,
  o: ApiserverOptions,
  restart = false,
): Promise<{ port: number; proc: Managed }> {
  const { dir, etcdUrl, token, timeoutMs, fixedPort } = o;
  const pki = path.join(dir, 'pki');
  if (!restart) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(path.join(pki, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    fs.writeFileSync(path.join(pki, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  }
  const users: TokenUser[] = [
    { token, user: ADMIN_USER, groups: ['system:masters'] },
    ...(o.nodes?.users ?? []),
  ];
  const csv = users.map((u) => `${u.token},${u.user},${u.user},"${u.groups.join(',')}"\n`).join('');
  fs.writeFileSync(path.join(pki, 'tokens.csv'), csv, { mode: 0o600 });
  const nodeFlags = o.nodes
    ? [
        '--authorization-mode=Node,RBAC',
        // The kubernetes Service's endpoint is this address, so pods reach the API.
        '--endpoint-reconciler-type=lease',
        // Logs and exec dial the node's IP; by hostname they would ask the machine's resolver.
        '--kubelet-preferred-address-types=InternalIP',
      ]
    : ['--authorization-mode=RBAC', '--endpoint-reconciler-type=none'];
  for (let attempt = 0; ; attempt++) {
    const port = fixedPort ?? (await freePort(o.host));
    const proc = startProcess('kube-apiserver', bin, [
      `--etcd-servers=${etcdUrl}`,
      `--etcd-prefix=/registry`,
      `--bind-address=${o.host}`,
      `--advertise-address=${o.host}`,
      `--secure-port=${port}`,
      `--cert-dir=${pki}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${path.join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(pki, 'sa.key')}`,
      `--token-auth-file=${path.join(pki, 'tokens.csv')}`,
      ...nodeFlags,
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
      ...(o.args ?? []),
    ]);
    const certFile = path.join(pki, 'apiserver.crt');
    try {
      // The self-signed serving certificate appears once the server has started its listener setup.
      await waitFor('kube-apiserver serving certificate', async () => fs.existsSync(certFile), {
        process: proc,
        timeoutMs,
      });
      return { port, proc };
    } catch (err) {
      await proc.stop();
      if (attempt >= 2 || fixedPort || !/address already in use/.test(proc.logs())) throw err;
    }
  }
}

/** A control-plane component with a kubeconfig and a /healthz on a free loopback port. */
async function startComponent(
  name: string,
  bin: string,
  kubeconfig: string,
  timeoutMs: number,
  args: string[],
): Promise<Managed> {
  const port = await freePort();
  const proc = startProcess(name, bin, [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    '--leader-elect=false',
    ...args,
    '--v=1',
  ]);
  await waitFor(
    `${name} /healthz`,
    async () => (await get(`https://127.0.0.1:${port}`, '/healthz')) === 200,
    { process: proc, timeoutMs },
  );
  return proc;
}

function startControllerManager(
  bin: string,
  dir: string,
  kubeconfig: string,
  timeoutMs: number,
  all: boolean,
): Promise<Managed> {
  // The light harness needs only these; real nodes need every default controller.
  const controllers = all
    ? '*'
    : 'namespace-controller,garbage-collector-controller,serviceaccount-controller';
  return startComponent('kube-controller-manager', bin, kubeconfig, timeoutMs, [
    '--use-service-account-credentials=false',
    `--service-account-private-key-file=${path.join(dir, 'pki', 'sa.key')}`,
    `--root-ca-file=${path.join(dir, 'pki', 'apiserver.crt')}`,
    `--controllers=${controllers}`,
  ]);
}

function startScheduler(bin: string, kubeconfig: string, timeoutMs: number): Promise<Managed> {
  return startComponent('kube-scheduler', bin, kubeconfig, timeoutMs, []);
}

export function kubeConfigFor(server: string, caPem: string, user: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'portico', server, caData: Buffer.from(caPem).toString('base64') }],
    users: [{ name: user, token }],
    contexts: [{ name: 'portico', cluster: 'portico', user }],
    currentContext: 'portico',
  });
  return kc;
}

async function serviceAccountKubeConfig(
  admin: KubeConfig,
  server: string,
  caPem: string,
  namespace: string,
  name: string,
): Promise<KubeConfig> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = admin.makeApiClient(CoreV1Api);
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    .catch((e: unknown) => {
      if ((e as { code?: number }).code !== 409) throw e;
    });
  const tr = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  return kubeConfigFor(server, caPem, `system:serviceaccount:${namespace}:${name}`, tr.status!.token);
}

/** Status code of a GET, trusting only `caPem` when given (self-signed endpoints otherwise). */
async function get(server: string, p: string, token?: string, caPem?: string): Promise<number> {
  return (await request(server, p, token, caPem)).status;
}

function request(
  server: string,
  p: string,
  token?: string,
  caPem?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${server}${p}`,
      {
        ca: caPem,
        rejectUnauthorized: caPem !== undefined,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/** The `[-]` lines of a verbose /readyz answer. */
export function failingChecks(body: string): string[] {
  return body.split('\n').filter((l) => l.startsWith('[-]'));
}

/** The readiness check that only a restart gets past (see `apiserverReady`). */
const REPAIR_HOOK = 'poststarthook/start-service-ip-repair-controllers';
/**
 * How long that check may be the only one failing before the apiserver counts as stuck. Healthy, it
 * never is: not once in 38 starts polled every 50 ms, 8 of them at once beside 6 busy CPU loops.
 */
const REPAIR_STUCK_MS = 15000;

/** Whether the Service IP repair hook is the one check failing. */
export function onlyRepairFails(failing: readonly string[]): boolean {
  return failing.length === 1 && !!failing[0]?.startsWith(`[-]${REPAIR_HOOK} `);
}

/**
 * Polls /readyz?verbose until it answers 200 (returns undefined) or, with `detectStuck`, until the
 * Service IP repair hook alone has failed for REPAIR_STUCK_MS (returns why). Throws with the last
 * answer when `p` exits or time runs out.
 */
async function waitApiserverReady(
  server: string,
  token: string,
  caPem: string,
  p: Managed,
  timeoutMs: number,
  detectStuck: boolean,
): Promise<string | undefined> {
  let last = 'no answer yet';
  let onlyRepairSince: number | undefined;
  let stuck: string | undefined;
  const ready = async () => {
    try {
      const r = await request(server, '/readyz?verbose', token, caPem);
      if (r.status === 200) return true;
      const failing = failingChecks(r.body);
      last = `${r.status}: ${failing.join('; ') || r.body.trim().slice(0, 500)}`;
      onlyRepairSince = onlyRepairFails(failing) ? (onlyRepairSince ?? Date.now()) : undefined;
      if (detectStuck && onlyRepairSince !== undefined && Date.now() - onlyRepairSince > REPAIR_STUCK_MS) {
        stuck = `${REPAIR_HOOK} alone failed for ${REPAIR_STUCK_MS} ms`;
        return true;
      }
    } catch (err) {
      last = String(err);
    }
    return false;
  };
  try {
    await waitFor('kube-apiserver /readyz', ready, { process: p, timeoutMs });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast /readyz answer: ${last}`, { cause: err });
  }
  return stuck;
}

// `portico-operator certgen`: makes the xDS CA, the operator's server certificate and Envoy's
// client certificate as Secrets, if absent, and reissues a leaf that is near expiry or was
// signed by another CA. Runs as a Job before install and upgrade (Helm hook, or plain apply).
// A CA near expiry (or `--rotate-ca`) is rotated one step per run (rotation.ts).
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { isKubeError, KubeClient } from '../kube/rest.ts';
import { loadClusterAccess } from '../kube/config.ts';
import { makeLeaf, makeCa, renewalReason, xdsServiceDnsNames, type CertKey } from './certs.ts';
import { stepCa, type CaState } from './rotation.ts';

export interface CertgenOptions {
  namespace: string;
  caSecret: string;
  serverSecret: string;
  clientSecret: string;
  /** DNS names of the xDS Service, put in the server certificate. */
  dnsNames: string[];
  labels?: Record<string, string>;
  now?: () => Date;
  /** Start a CA rotation now. */
  rotateCa?: boolean;
  /** Least time between two steps of a CA rotation. @default 10 minutes */
  caSettleMs?: number;
}

export interface CertgenResult {
  created: string[];
  renewed: string[];
  /** The CA rotation step taken, if any. */
  caStep?: string;
}

interface SecretObject {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const ROTATION = 'portico.dev/ca-rotation';
const ROTATION_SINCE = 'portico.dev/ca-rotation-since';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

function readPair(s: SecretObject): CertKey & { caPem: string } {
  return {
    certPem: unb64(s.data?.['tls.crt']),
    keyPem: unb64(s.data?.['tls.key']),
    caPem: unb64(s.data?.['ca.crt']),
  };
}

function secretBody(
  name: string,
  namespace: string,
  pair: CertKey,
  caPem: string,
  labels: Record<string, string>,
) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels } as SecretObject['metadata'] & { namespace: string },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem), 'ca.crt': b64(caPem) } as Record<
      string,
      string
    >,
  };
}

/** The CA Secret: tls.* the signing CA, ca.crt the trust bundle, next.* and annotations mid-rotation. */
function readCaState(s: SecretObject): CaState {
  const pair = readPair(s);
  const phase = s.metadata.annotations?.[ROTATION];
  const since = s.metadata.annotations?.[ROTATION_SINCE];
  const next = s.data?.['next.crt']
    ? { certPem: unb64(s.data['next.crt']), keyPem: unb64(s.data['next.key']) }
    : undefined;
  return {
    ca: pair,
    trust: pair.caPem || pair.certPem,
    rotation:
      (phase === 'trust-next' || phase === 'sign-next') && since
        ? { phase, since: new Date(since), next }
        : undefined,
  };
}

function caSecretBody(name: string, namespace: string, state: CaState, labels: Record<string, string>) {
  const body = secretBody(name, namespace, state.ca, state.trust, labels);
  if (state.rotation) {
    body.metadata.annotations = {
      [ROTATION]: state.rotation.phase,
      [ROTATION_SINCE]: state.rotation.since.toISOString(),
    };
    if (state.rotation.next) {
      body.data['next.crt'] = b64(state.rotation.next.certPem);
      body.data['next.key'] = b64(state.rotation.next.keyPem);
    }
  }
  return body;
}

/** Creates or renews the three Secrets; idempotent, and safe when two runs race (the loser re-reads). */
export async function ensureXdsCertificates(
  client: KubeClient,
  opts: CertgenOptions,
  log?: Logger,
): Promise<CertgenResult> {
  const now = opts.now ?? (() => new Date());
  const labels = {
    'app.kubernetes.io/part-of': 'portico',
    'app.kubernetes.io/component': 'xds-tls',
    ...opts.labels,
  };
  const base = `/api/v1/namespaces/${opts.namespace}/secrets`;
  const result: CertgenResult = { created: [], renewed: [] };
  const get = async (name: string): Promise<SecretObject | undefined> =>
    client.request<SecretObject>(`${base}/${name}`).catch((err: unknown) => {
      if (isKubeError(err, 404)) return undefined;
      throw err;
    });
  const create = async (name: string, body: object): Promise<boolean> =>
    client.request(base, { method: 'POST', body }).then(
      () => true,
      (err: unknown) => {
        if (isKubeError(err, 409)) return false;
        throw err;
      },
    );

  const put = async (name: string, body: object, resourceVersion?: string): Promise<boolean> =>
    client
      .request(`${base}/${name}`, {
        method: 'PUT',
        body: { ...body, metadata: { ...(body as SecretObject).metadata, resourceVersion } },
      })
      .then(
        () => true,
        (err: unknown) => {
          if (isKubeError(err, 409)) return false; // another run changed it first
          throw err;
        },
      );

  let caSecret = await get(opts.caSecret);
  if (!caSecret) {
    const ca = makeCa(now());
    if (await create(opts.caSecret, secretBody(opts.caSecret, opts.namespace, ca, ca.certPem, labels)))
      result.created.push(opts.caSecret);
    caSecret = await get(opts.caSecret);
    if (!caSecret) throw new Error(`secret ${opts.namespace}/${opts.caSecret} vanished after create`);
  }
  let state = readCaState(caSecret);
  const stepped = stepCa(state, {
    now: now(),
    settleMs: opts.caSettleMs ?? 10 * 60 * 1000,
    rotate: opts.rotateCa,
  });
  if (stepped.step) {
    const body = caSecretBody(opts.caSecret, opts.namespace, stepped.state, labels);
    if (await put(opts.caSecret, body, caSecret.metadata.resourceVersion)) {
      log?.info({ secret: `${opts.namespace}/${opts.caSecret}`, step: stepped.step }, 'CA rotation');
      result.caStep = stepped.step;
      state = stepped.state;
    } else {
      const again = await get(opts.caSecret);
      if (!again) throw new Error(`secret ${opts.namespace}/${opts.caSecret} vanished`);
      state = readCaState(again);
    }
  } else if (state.rotation) {
    log?.info(
      { secret: `${opts.namespace}/${opts.caSecret}`, phase: state.rotation.phase },
      'CA rotation: waiting for the last step to reach every peer before the next',
    );
  }
  const ca = state.ca;

  const leaves = [
    {
      name: opts.serverSecret,
      make: () =>
        makeLeaf(ca, {
          commonName: opts.dnsNames[0] ?? 'portico-xds',
          dnsNames: opts.dnsNames,
          usage: 'server',
          now: now(),
        }),
    },
    {
      name: opts.clientSecret,
      make: () => makeLeaf(ca, { commonName: 'portico-envoy', usage: 'client', now: now() }),
    },
  ];
  for (const leaf of leaves) {
    const existing = await get(leaf.name);
    if (!existing) {
      if (await create(leaf.name, secretBody(leaf.name, opts.namespace, leaf.make(), state.trust, labels)))
        result.created.push(leaf.name);
      continue;
    }
    const pair = readPair(existing);
    const reason = renewalReason(ca, pair, now());
    // A leaf still good under the signing CA keeps its key; only its trust bundle follows the CA's.
    if (!reason && pair.caPem.trim() === state.trust.trim()) continue;
    log?.info(
      { secret: `${opts.namespace}/${leaf.name}`, reason: reason ?? 'trust bundle changed' },
      reason ? 'reissuing certificate' : 'updating trusted CAs',
    );
    const body = secretBody(leaf.name, opts.namespace, reason ? leaf.make() : pair, state.trust, labels);
    if (await put(leaf.name, body, existing.metadata.resourceVersion)) result.renewed.push(leaf.name);
  }
  return result;
}

/** Deletes the three Secrets (uninstall); missing ones are fine. */
export async function deleteXdsCertificates(
  client: KubeClient,
  opts: Pick<CertgenOptions, 'namespace' | 'caSecret' | 'serverSecret' | 'clientSecret'>,
): Promise<string[]> {
  const deleted: string[] = [];
  for (const name of [opts.serverSecret, opts.clientSecret, opts.caSecret]) {
    const gone = await client
      .request(`/api/v1/namespaces/${opts.namespace}/secrets/${name}`, { method: 'DELETE' })
      .then(
        () => true,
        (err: unknown) => {
          if (isKubeError(err, 404)) return false;
          throw err;
        },
      );
    if (gone) deleted.push(name);
  }
  return deleted;
}

const HELP = `portico operator certgen: the xDS channel's CA, server and client certificates as Secrets

  --namespace NS          (default $POD_NAMESPACE or portico-system)
  --xds-service NAME      the operator's xDS Service, named in the server certificate (default portico-xds)
  --cluster-domain DOMAIN (default cluster.local)
  --ca-secret NAME        (default portico-xds-ca)
  --server-secret NAME    (default portico-xds-server)
  --client-secret NAME    (default portico-xds-client)
  --rotate-ca             start a CA rotation now (one step per run: trust the new CA, sign with
                          it, drop the old; it also starts by itself in the CA's last third)
  --ca-settle-seconds N   least time between two rotation steps (default 600)
  --delete                delete the three Secrets instead (uninstall)
  --kubeconfig PATH       (default $KUBECONFIG, then in-cluster)
`;

export async function certgenMain(
  argv: string[],
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      namespace: { type: 'string', default: env.POD_NAMESPACE ?? 'portico-system' },
      'xds-service': { type: 'string', default: 'portico-xds' },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      'ca-secret': { type: 'string', default: 'portico-xds-ca' },
      'server-secret': { type: 'string', default: 'portico-xds-server' },
      'client-secret': { type: 'string', default: 'portico-xds-client' },
      'rotate-ca': { type: 'boolean', default: false },
      'ca-settle-seconds': { type: 'string', default: '600' },
      delete: { type: 'boolean', default: false },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const client = new KubeClient(loadClusterAccess(values.kubeconfig ?? env.KUBECONFIG));
  const names = {
    namespace: values.namespace,
    caSecret: values['ca-secret'],
    serverSecret: values['server-secret'],
    clientSecret: values['client-secret'],
  };
  try {
    if (values.delete) {
      log.info(
        { namespace: names.namespace, deleted: await deleteXdsCertificates(client, names) },
        'certgen: deleted',
      );
      return;
    }
    const dnsNames = xdsServiceDnsNames(values['xds-service'], values.namespace, values['cluster-domain']);
    const settle = Number(values['ca-settle-seconds']);
    if (!Number.isFinite(settle) || settle < 0)
      throw new Error(`--ca-settle-seconds must be a number of seconds, got ${values['ca-settle-seconds']}`);
    const r = await ensureXdsCertificates(
      client,
      { ...names, dnsNames, rotateCa: values['rotate-ca'], caSettleMs: settle * 1000 },
      log,
    );
    log.info({ namespace: names.namespace, ...r }, 'certgen: xDS certificates ready');
  } finally {
    client.close();
  }
}

// Where the API server is and how to reach it: a kubeconfig file (local runs) or the pod's service
// account (in a cluster). The two methods of client-node's KubeConfig that KubeClient uses, without
// loading client-node, whose generated API costs the operator about 67 MiB of RSS.
import fs from 'node:fs';
import type https from 'node:https';
import path from 'node:path';
import { parse } from 'yaml';

/** What KubeClient needs; client-node's KubeConfig has it too (tests and tools pass one). */
export interface ClusterAccess {
  getCurrentCluster(): { readonly server: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

// The kubelet rewrites a projected token well before it expires (at 80% of its life, >= 10 min).
const TOKEN_REREAD_MS = 60000;

interface Credentials {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  token?: () => string;
}

class StaticAccess implements ClusterAccess {
  constructor(
    private readonly server: string,
    private readonly creds: Credentials,
  ) {}

  getCurrentCluster() {
    return { server: this.server };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const { ca, cert, key, insecure, token } = this.creds;
    if (ca) opts.ca = ca;
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    if (insecure) opts.rejectUnauthorized = false;
    if (token) opts.headers = { ...opts.headers, authorization: `Bearer ${token()}` };
  }
}

/** A token file read again once `rereadMs` have passed, so a rotated token is picked up. */
export function fileToken(file: string, rereadMs = TOKEN_REREAD_MS, now = Date.now): () => string {
  let token = '';
  let readAt = -Infinity;
  return () => {
    if (now() - readAt >= rereadMs) {
      token = fs.readFileSync(file, 'utf8').trim();
      readAt = now();
    }
    return token;
  };
}

/** The pod's service account: the API server's Service from the environment, its token and CA. */
export function inClusterAccess(
  env: NodeJS.ProcessEnv = process.env,
  dir = SERVICE_ACCOUNT_DIR,
): ClusterAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new Error('not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset): pass --kubeconfig');
  return new StaticAccess(`https://${host.includes(':') ? `[${host}]` : host}:${port}`, {
    ca: fs.readFileSync(path.join(dir, 'ca.crt')),
    token: fileToken(path.join(dir, 'token')),
  });
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

/**
 * A kubeconfig's current context: the cluster's server and CA (inline or a file), and a token
 * (inline or a file) or a client certificate. Exec plugins and auth providers are refused by name.
 */
export function kubeconfigAccess(file: string): ClusterAccess {
  const doc = (parse(fs.readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new Error(`kubeconfig ${file}: ${what}`);
  };
  const find = (list: string, name: string | undefined, key: 'cluster' | 'user' | 'context') => {
    const entry = ((doc[list] ?? []) as Named<Record<string, unknown>>[]).find((e) => e.name === name);
    return entry?.[key] ?? fail(`no ${key} named "${name ?? ''}"`);
  };
  const context = find('contexts', doc['current-context'] as string | undefined, 'context');
  const cluster = find('clusters', context.cluster as string | undefined, 'cluster');
  const user = find('users', context.user as string | undefined, 'user');
  // Relative file paths in a kubeconfig are relative to the kubeconfig itself.
  const read = (p: unknown) => fs.readFileSync(path.resolve(path.dirname(file), String(p)));
  const bytes = (data: unknown, p: unknown) =>
    data ? Buffer.from(String(data), 'base64') : p ? read(p) : undefined;
  for (const unsupported of ['exec', 'auth-provider', 'username'])
    if (user[unsupported])
      fail(`user "${String(context.user)}" uses ${unsupported}: use a token or a client certificate`);
  const server = typeof cluster.server === 'string' ? cluster.server : fail('the cluster has no server');
  const token = user.token
    ? () => String(user.token)
    : user.tokenFile
      ? fileToken(path.resolve(path.dirname(file), String(user.tokenFile)))
      : undefined;
  return new StaticAccess(server.replace(/\/+$/, ''), {
    ca: bytes(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: bytes(user['client-certificate-data'], user['client-certificate']),
    key: bytes(user['client-key-data'], user['client-key']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    token,
  });
}

/** `--kubeconfig` when given, else the service account. */
export function loadClusterAccess(kubeconfig: string | undefined): ClusterAccess {
  return kubeconfig ? kubeconfigAccess(kubeconfig) : inClusterAccess();
}

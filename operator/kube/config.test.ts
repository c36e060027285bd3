import fs from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { fileToken, inClusterAccess, kubeconfigAccess, type ClusterAccess } from './config.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function options(access: ClusterAccess) {
  const o: https.RequestOptions = {};
  await access.applyToHTTPSOptions(o);
  const text = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    server: access.getCurrentCluster()?.server,
    ca: text(o.ca),
    cert: text(o.cert),
    key: text(o.key),
    rejectUnauthorized: o.rejectUnauthorized,
    authorization: Object.entries(o.headers ?? {}).find(([k]) => k.toLowerCase() === 'authorization')?.[1],
  };
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

test('a kubeconfig with inline CA and token gives the options client-node gives', async () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: b64('CA PEM') }],
    users: [{ name: 'admin', token: 'secret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'admin' }],
    currentContext: 'ctx',
  });
  const file = write('kubeconfig', kc.exportConfig());
  const ours = await options(kubeconfigAccess(file));
  expect(ours).toEqual({
    server: 'https://127.0.0.1:6443',
    ca: 'CA PEM',
    cert: undefined,
    key: undefined,
    rejectUnauthorized: undefined,
    authorization: 'Bearer secret-token',
  });
  const theirs = new KubeConfig();
  theirs.loadFromFile(file);
  expect(ours).toEqual(await options(theirs));
});

test('reads the current context; files are relative to the kubeconfig; client certificates', async () => {
  write('ca.crt', 'CA FILE');
  write('client.key', 'KEY FILE');
  const file = write(
    'kubeconfig',
    `apiVersion: v1
kind: Config
current-context: two
contexts:
- name: one
  context: { cluster: a, user: a }
- name: two
  context: { cluster: b, user: b }
clusters:
- name: a
  cluster: { server: "https://10.0.0.1" }
- name: b
  cluster: { server: "https://[fd00::1]:6443/", certificate-authority: ca.crt }
users:
- name: a
  user: { token: nope }
- name: b
  user: { client-certificate-data: ${b64('CERT')}, client-key: client.key }
`,
  );
  expect(await options(kubeconfigAccess(file))).toEqual({
    server: 'https://[fd00::1]:6443',
    ca: 'CA FILE',
    cert: 'CERT',
    key: 'KEY FILE',
    rejectUnauthorized: undefined,
    authorization: undefined,
  });
});

test('refuses what it cannot do, naming it', () => {
  const file = write(
    'kubeconfig',
    `current-context: x
contexts: [{ name: x, context: { cluster: x, user: x } }]
clusters: [{ name: x, cluster: { server: "https://127.0.0.1", insecure-skip-tls-verify: true } }]
users: [{ name: x, user: { exec: { command: aws } } }]
`,
  );
  expect(() => kubeconfigAccess(file)).toThrow(
    `kubeconfig ${file}: user "x" uses exec: use a token or a client certificate`,
  );
  const missing = write('other', 'current-context: nowhere\n');
  expect(() => kubeconfigAccess(missing)).toThrow('no context named "nowhere"');
});

test("in a cluster: the API server's Service, the service account's CA and token", async () => {
  write('ca.crt', 'SA CA');
  write('token', 'sa-token\n');
  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  expect(await options(inClusterAccess(env, dir))).toEqual({
    server: 'https://10.96.0.1:443',
    ca: 'SA CA',
    cert: undefined,
    key: undefined,
    rejectUnauthorized: undefined,
    authorization: 'Bearer sa-token',
  });
  const v6 = inClusterAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
  expect(v6.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
  expect(() => inClusterAccess({}, dir)).toThrow('pass --kubeconfig');
});

test('a rotated token file is read again after a minute, not on every request', () => {
  const file = write('token', 'first');
  let now = 0;
  const token = fileToken(file, 60000, () => now);
  expect(token()).toBe('first');
  fs.writeFileSync(file, 'second');
  now = 59999;
  expect(token()).toBe('first');
  now = 60000;
  expect(token()).toBe('second');
});

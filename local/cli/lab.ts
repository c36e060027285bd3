import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, type Chart } from 'cdk8s';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { addSeedLab } from '../../charts/examples/index.ts';
import { makeCa, makeLeaf, type CertKey } from '../../operator/certgen/certs.ts';
import type { Pod } from '../light/pods.ts';
import { waitFor } from '../common/process.ts';
import { endpointSliceYaml, startBackend } from '../light/workloads.ts';

/** The seed lab's workloads: which stand-in runs for each Service, and on which port. */
const WORKLOADS = [
  { pod: 'details-v1', service: 'details', kind: 'details', port: 9080 },
  { pod: 'productpage-v1', service: 'productpage', kind: 'productpage', port: 9080 },
  { pod: 'ratings-v1', service: 'ratings', kind: 'echo', port: 9080 },
  { pod: 'reviews-v1', service: 'reviews', kind: 'echo', port: 9080 },
  { pod: 'echo-1', service: 'echo-1', kind: 'echo', port: 8080 },
  // echo-2's Service listens on 8090 and targets the container port 8080, as in the lab.
  { pod: 'echo-2', service: 'echo-2', kind: 'echo', port: 8080 },
  { pod: 'my-nginx', service: 'my-nginx', kind: 'tls-static', port: 443 },
] as const;

export interface Lab {
  /** The CA that signed demo-cert and the nginx certificate (what `mkcert -install` trusts). */
  readonly ca: CertKey;
  /** demo-cert: `*.cilium.rocks`, served by the HTTPS Gateway. */
  readonly demoCert: CertKey;
  /** The organization in the certificate nginx serves, which TLS passthrough clients must see. */
  readonly passthroughOrg: string;
  /** Stand-in backends as processes in network namespaces (none on real nodes). */
  readonly pods: readonly Pod[];
  stop(): Promise<void>;
}

interface Manifest {
  kind: string;
  metadata: { name: string };
}

/** The lab's objects (charts/examples), in the order the lab applies them. */
export function labObjects(): Manifest[] {
  const app = new App();
  addSeedLab(app);
  return app.charts.flatMap((c: Chart) => c.toJson() as Manifest[]);
}

const ROUTING = ['Gateway', 'HTTPRoute', 'TLSRoute'];
const NGINX_ORG = 'my-nginx backend';
const DEMO_CERT_ORG = 'cilium.rocks demo-cert';
/** What `mkcert` would make: a development CA and server certificates it signs. */
const LAB_CA = 'Portico development CA';
const serverCert = (ca: CertKey, name: string, organization?: string) =>
  makeLeaf(ca, {
    commonName: name,
    dnsNames: [name],
    usage: 'server',
    ...(organization ? { organization } : {}),
  });

const demoCertSecret = (kp: CertKey) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: 'demo-cert', namespace: 'default' },
    stringData: { 'tls.crt': kp.certPem, 'tls.key': kp.keyPem },
  });

/**
 * The seed lab on real nodes, as the lab applies it: the charts unchanged (Deployments become pods
 * on the workers, EndpointSlices come from the controller), demo-cert (which the lab's nginx
 * serves too), then the Gateways and routes once every Deployment is available.
 */
export async function deployLabOnNodes(
  kc: KubeConfig,
  apply: (yaml: string) => Promise<void>,
  log: (line: string) => void = () => {},
): Promise<Lab> {
  const ca = makeCa(new Date(), LAB_CA);
  const demoCert = serverCert(ca, '*.cilium.rocks', DEMO_CERT_ORG);
  const objects = labObjects();
  await apply(demoCertSecret(demoCert));
  await apply(toYaml(objects.filter((o) => !ROUTING.includes(o.kind))));
  const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor(
    `the lab's ${deployments.length} Deployments available`,
    async () => {
      for (const name of deployments) {
        const d = await apps.readNamespacedDeployment({ namespace: 'default', name });
        // A fresh rollout: the new ReplicaSet's pods must be the ones available.
        if ((d.status?.updatedReplicas ?? 0) < 1 || (d.status?.availableReplicas ?? 0) < 1) return false;
      }
      return true;
    },
    { timeoutMs: 180000, intervalMs: 500 },
  );
  log(`the lab's ${deployments.length} Deployments are available`);
  const routing = objects.filter((o) => ROUTING.includes(o.kind));
  await apply(toYaml(routing));
  log(`applied ${routing.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`).join(', ')}`);
  return { ca, demoCert, passthroughOrg: DEMO_CERT_ORG, pods: [], stop: async () => {} };
}
const toYaml = (objs: Manifest[]) => objs.map((o) => stringify(o)).join('---\n');

/**
 * Deploys the seed lab: stand-in backends as pods in network namespaces, the lab's Services with
 * EndpointSlices pointing at them, the demo-cert Secret, then the lab's Gateways and routes.
 */
export async function deployLab(
  kc: KubeConfig,
  apply: (yaml: string) => Promise<void>,
  log: (line: string) => void = () => {},
): Promise<Lab> {
  const ca = makeCa(new Date(), LAB_CA);
  const demoCert = serverCert(ca, '*.cilium.rocks');
  const nginxCert = serverCert(ca, 'nginx.cilium.rocks', NGINX_ORG);
  const pods: Pod[] = [];
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-nginx-'));
  const stop = async () => {
    for (const p of pods) await p.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  };
  try {
    for (const w of WORKLOADS) {
      const tls = w.kind === 'tls-static' ? writeCert(certDir, nginxCert) : [];
      pods.push(await startBackend(w.pod, w.kind, w.port, tls));
    }
    log(`started ${pods.length} backend pods in network namespaces (${pods.map((p) => p.ip).join(', ')})`);
    const objects = labObjects();
    await apply(toYaml(objects.filter((o) => !ROUTING.includes(o.kind))));
    await apply(demoCertSecret(demoCert));
    const core = kc.makeApiClient(CoreV1Api);
    for (const w of WORKLOADS) {
      const svc = await core.readNamespacedService({ name: w.service, namespace: 'default' });
      const pod = pods.find((p) => p.name === w.pod)!;
      await apply(endpointSliceYaml(svc, [pod.ip]));
    }
    log('applied the lab Services, EndpointSlices and the demo-cert Secret');
    const routing = objects.filter((o) => ROUTING.includes(o.kind));
    await apply(toYaml(routing));
    log(`applied ${routing.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`).join(', ')}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ca, demoCert, passthroughOrg: NGINX_ORG, pods, stop };
}

/** The nginx stand-in's certificate and key as files, for its command line. */
function writeCert(dir: string, kp: CertKey): string[] {
  fs.writeFileSync(path.join(dir, 'tls.crt'), kp.certPem);
  fs.writeFileSync(path.join(dir, 'tls.key'), kp.keyPem, { mode: 0o600 });
  return [path.join(dir, 'tls.crt'), path.join(dir, 'tls.key')];
}

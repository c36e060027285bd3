// Gateway tls.frontend through the operator on a real kube-apiserver: the listener says why while
// its CA ConfigMap is missing, recovers when it appears (an event of the per-object watch), the
// insecure mode shows on the Gateway, and the watch set follows the Gateway.
import { stringify } from 'yaml';
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { makeCa } from '../operator/certgen/certs.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { parseFlags, runOperator, type RunningOperator } from '../operator/main.ts';
import {
  GATEWAY_CLASS_YAML,
  cond,
  eventually,
  get,
  operatorFlags,
  startCluster,
  tlsSecretYaml,
} from '../test-support/operator-harness.ts';

const gatewayYaml = (validation?: Record<string, unknown>) =>
  stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'mtls', namespace: 'default' },
    spec: {
      gatewayClassName: 'portico',
      ...(validation ? { tls: { frontend: { default: { validation } } } } : {}),
      listeners: [
        { name: 'https', protocol: 'HTTPS', port: 443, tls: { certificateRefs: [{ name: 'cert' }] } },
        { name: 'http', protocol: 'HTTP', port: 80 },
      ],
    },
  });
const caMapYaml = (name: string) =>
  stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default' },
    data: { 'ca.crt': makeCa(new Date(), name).certPem },
  });
const refs = { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'client-ca' }] };

describe('operator: Gateway tls.frontend (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator | undefined;

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
  });
  afterAll(async () => {
    await op?.stop();
    client?.close();
    await cp?.stop();
  });

  const listener = async (name: string) => {
    const conds = (await get(client, 'gateways', 'mtls'))?.status?.listeners?.find(
      (l) => l.name === name,
    )?.conditions;
    return ['Accepted', 'ResolvedRefs']
      .map((t) => `${cond(conds, t)?.status}/${cond(conds, t)?.reason}`)
      .join(' ');
  };
  const until = (what: string, name: string, want: string) =>
    eventually(what, async () => (await listener(name)) === want, 60000);

  it('a missing CA ConfigMap refuses the HTTPS listener until the ConfigMap appears', async () => {
    await cp.applyYaml(
      [
        GATEWAY_CLASS_YAML,
        tlsSecretYaml('cert', 'default', ['a.example']),
        caMapYaml('unrelated'),
        gatewayYaml(refs),
      ].join('\n---\n'),
    );
    op = await runOperator(parseFlags(operatorFlags(cp.kubeconfigPath)));
    await until('https refused', 'https', 'False/NoValidCACertificate False/InvalidCACertificateRef');
    expect(await listener('http')).toBe('True/Accepted True/ResolvedRefs');

    await cp.applyYaml(caMapYaml('client-ca'));
    await until('https accepted', 'https', 'True/Accepted True/ResolvedRefs');
  });

  it('AllowInsecureFallback sets InsecureFrontendValidationMode; dropping tls.frontend clears it', async () => {
    await cp.applyYaml(gatewayYaml({ ...refs, mode: 'AllowInsecureFallback' }));
    const insecure = await eventually(
      'InsecureFrontendValidationMode',
      async () =>
        cond((await get(client, 'gateways', 'mtls'))?.status?.conditions, 'InsecureFrontendValidationMode'),
      60000,
    );
    expect(insecure).toMatchObject({ status: 'True', reason: 'ConfigurationChanged' });

    await cp.applyYaml(gatewayYaml());
    await eventually(
      'condition removed',
      async () =>
        !cond((await get(client, 'gateways', 'mtls'))?.status?.conditions, 'InsecureFrontendValidationMode'),
      60000,
    );
  });
});

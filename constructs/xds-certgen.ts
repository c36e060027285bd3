import { Duration, Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { KubeRole, KubeRoleBinding } from 'cdk8s-plus-34/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { NONROOT_ID, nonRootContainer } from './security.ts';
import { PORTICO_VERSION_TAG } from './agent-daemon-set.ts';

/** Secrets of the xDS channel, made by the certgen Job. */
export const XDS_CA_SECRET = 'portico-xds-ca';
export const XDS_SERVER_SECRET = 'portico-xds-server';
export const XDS_CLIENT_SECRET = 'portico-xds-client';

export interface XdsCertgenProps {
  /** @default "portico-certgen" */
  readonly name?: string;
  /** The operator image (it carries the `certgen` subcommand). @default "portico/operator:0.1.0" */
  readonly image?: string;
  /** The xDS Service named in the server certificate. @default "portico-xds" */
  readonly xdsServiceName?: string;
}

/**
 * A Job that creates the xDS CA, the operator's server certificate and Envoy's client certificate
 * as Secrets when absent, and reissues leaves near expiry; it may only touch Secrets of its namespace.
 */
export class XdsCertgen extends Construct {
  readonly job: plus.Job;
  readonly serviceAccount: plus.ServiceAccount;
  readonly role: KubeRole;
  readonly roleBinding: KubeRoleBinding;

  constructor(scope: Construct, id: string, props: XdsCertgenProps = {}) {
    super(scope, id);
    const name = props.name ?? 'portico-certgen';
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'portico' };
    this.serviceAccount = new plus.ServiceAccount(this, 'ServiceAccount', { metadata: { name, labels } });
    this.role = new KubeRole(this, 'Role', {
      metadata: { name, labels },
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [XDS_CA_SECRET, XDS_SERVER_SECRET, XDS_CLIENT_SECRET],
          verbs: ['get', 'update', 'delete'],
        },
        // create cannot be limited by name.
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ],
    });
    this.roleBinding = new KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.role.name },
      subjects: [
        {
          kind: 'ServiceAccount',
          name: this.serviceAccount.name,
          namespace: this.serviceAccount.metadata.namespace,
        },
      ],
    });
    this.job = new plus.Job(this, 'Resource', {
      metadata: { name, labels },
      podMetadata: { labels },
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: true,
      backoffLimit: 6,
      ttlAfterFinished: Duration.minutes(5),
      isolate: false,
      securityContext: { ensureNonRoot: true, user: NONROOT_ID, group: NONROOT_ID },
    });
    this.job.addContainer({
      name: 'certgen',
      image: props.image ?? `portico/operator:${PORTICO_VERSION_TAG}`,
      imagePullPolicy: plus.ImagePullPolicy.IF_NOT_PRESENT,
      args: [
        'certgen',
        '--namespace=$(POD_NAMESPACE)',
        `--xds-service=${props.xdsServiceName ?? 'portico-xds'}`,
        `--ca-secret=${XDS_CA_SECRET}`,
        `--server-secret=${XDS_SERVER_SECRET}`,
        `--client-secret=${XDS_CLIENT_SECRET}`,
      ],
      envVariables: { POD_NAMESPACE: plus.EnvValue.fromFieldRef(plus.EnvFieldPaths.POD_NAMESPACE) },
      resources: {
        cpu: { request: plus.Cpu.millis(50) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
      },
      securityContext: nonRootContainer,
    });
  }
}

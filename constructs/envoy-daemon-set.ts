import { Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { invalid } from './errors.ts';
import { checkPort } from './validate.ts';

/** The Envoy release Portico is tested with (the local harness runs the same version). */
export const ENVOY_VERSION = '1.40.0';
export const ENVOY_IMAGE = `envoyproxy/envoy:v${ENVOY_VERSION}`;

export interface EnvoyDaemonSetProps {
  /** Name of the DaemonSet, its ConfigMap and ServiceAccount. @default "portico-envoy" */
  readonly name?: string;
  /** Envoy's bootstrap (JSON), pointing ADS at the operator's xDS Service; stored in a ConfigMap. */
  readonly bootstrap: Record<string, unknown>;
  /** @default the upstream image at the tested version */
  readonly image?: string;
  /** Loopback port of Envoy's admin interface, as set in the bootstrap; probes use it. @default 19000 */
  readonly adminPort?: number;
  /** @default requests 100m CPU / 128Mi, limit 1Gi memory */
  readonly resources?: plus.ContainerResources;
  /** @default "info" */
  readonly logLevel?: string;
  /** More files for the bootstrap ConfigMap, mounted beside bootstrap.json in /etc/envoy. @default none */
  readonly files?: Record<string, string>;
  /** Secret with Envoy's xDS client certificate, mounted read-only at /etc/portico/xds-tls. @default none */
  readonly xdsTlsSecret?: string;
}

/** Where Envoy reads its xDS client certificate. */
export const ENVOY_XDS_TLS_DIR = '/etc/portico/xds-tls';

/** One Envoy per node on the host network, configured over ADS by the operator. */
export class EnvoyDaemonSet extends Construct {
  readonly daemonSet: plus.DaemonSet;
  readonly configMap: plus.ConfigMap;
  readonly serviceAccount: plus.ServiceAccount;

  constructor(scope: Construct, id: string, props: EnvoyDaemonSetProps) {
    super(scope, id);
    const name = props.name ?? 'portico-envoy';
    const adminPort = props.adminPort ?? 19000;
    checkPort(this, 'adminPort', adminPort);
    const admin = (props.bootstrap as { admin?: { address?: { socket_address?: { port_value?: number } } } })
      .admin;
    const bootPort = admin?.address?.socket_address?.port_value;
    if (bootPort !== undefined && bootPort !== adminPort) {
      invalid(
        this,
        'adminPort',
        `(${adminPort}) differs from the bootstrap's admin port ${bootPort}; the probes would fail`,
      );
    }
    if (!('dynamic_resources' in props.bootstrap)) {
      invalid(
        this,
        'bootstrap',
        'has no dynamic_resources: Envoy would never receive configuration from the operator',
      );
    }
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'portico' };
    this.serviceAccount = new plus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name, labels },
      automountToken: false,
    });
    this.configMap = new plus.ConfigMap(this, 'Bootstrap', {
      metadata: { name: `${name}-bootstrap`, labels },
      data: { 'bootstrap.json': JSON.stringify(props.bootstrap, null, 2), ...props.files },
    });
    this.daemonSet = new plus.DaemonSet(this, 'Resource', {
      metadata: { name, labels },
      podMetadata: { labels },
      hostNetwork: true,
      dns: { policy: plus.DnsPolicy.CLUSTER_FIRST_WITH_HOST_NET },
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      // Root with one capability: a non-root process gets no added capability on exec (no ambient
      // capabilities from container runtimes), and Gateways listen on 80 and 443 of the host network.
      securityContext: { ensureNonRoot: false, user: 0, group: 0 },
      isolate: false,
    });
    // One per node, control-plane nodes included (as Cilium's agent and Envoy run).
    this.daemonSet.scheduling.tolerate(plus.Node.tainted(plus.NodeTaintQuery.any()));
    this.daemonSet.podMetadata.addLabel('app.kubernetes.io/name', name);
    const adminProbe = (path: string) => plus.Probe.fromHttpGet(path, { port: adminPort, host: '127.0.0.1' });
    const container = this.daemonSet.addContainer({
      name: 'envoy',
      image: props.image ?? ENVOY_IMAGE,
      imagePullPolicy: plus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['envoy'],
      args: [
        '-c',
        '/etc/envoy/bootstrap.json',
        '--service-node',
        '$(NODE_NAME)',
        '--service-cluster',
        'portico',
        '--log-level',
        props.logLevel ?? 'info',
        '--drain-time-s',
        '30',
      ],
      envVariables: { NODE_NAME: plus.EnvValue.fromFieldRef(plus.EnvFieldPaths.NODE_NAME) },
      readiness: adminProbe('/ready'),
      liveness: adminProbe('/server_info'),
      resources: props.resources ?? {
        cpu: { request: plus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(128), limit: Size.gibibytes(1) },
      },
      securityContext: {
        ensureNonRoot: false,
        user: 0,
        group: 0,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: [plus.Capability.ALL], add: [plus.Capability.NET_BIND_SERVICE] },
      },
    });
    container.mount('/etc/envoy', plus.Volume.fromConfigMap(this, 'BootstrapVolume', this.configMap), {
      readOnly: true,
    });
    container.mount('/tmp', plus.Volume.fromEmptyDir(this, 'Tmp', 'tmp'));
    if (props.xdsTlsSecret) {
      const secret = plus.Secret.fromSecretName(this, 'XdsTlsSecret', props.xdsTlsSecret);
      container.mount(
        ENVOY_XDS_TLS_DIR,
        plus.Volume.fromSecret(this, 'XdsTls', secret, { name: 'xds-tls', defaultMode: 0o400 }),
        { readOnly: true },
      );
    }
  }
}

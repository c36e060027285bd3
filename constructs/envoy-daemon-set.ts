import fs from 'node:fs';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { IntOrString } from 'cdk8s-plus-34/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { PORTICO_VERSION_TAG } from './agent-daemon-set.ts';
import { invalid } from './errors.ts';
import { NONROOT_ID, nonRootContainer, runtimeDefaultSeccomp } from './security.ts';

/** The Envoy release Portico is tested with (the local harness runs the same version). */
export const ENVOY_VERSION = '1.40.0';
export const ENVOY_IMAGE = `envoyproxy/envoy:v${ENVOY_VERSION}`;

/** The pod's own folder shared by Envoy and its lifecycle container (an emptyDir). */
export const ENVOY_RUN_DIR = '/run/envoy';
/** Envoy's admin interface: a unix socket in the pod's folder (`renderBootstrap({ adminSocket })`). */
export const ENVOY_ADMIN_SOCKET = `${ENVOY_RUN_DIR}/admin.sock`;

const LIFECYCLE_FILE = 'envoy-lifecycle.mjs';
const lifecycleScript = () => fs.readFileSync(new URL(`./${LIFECYCLE_FILE}`, import.meta.url), 'utf8');

export interface EnvoyDaemonSetProps {
  /** Name of the DaemonSet, its ConfigMap and ServiceAccount. @default "portico-envoy" */
  readonly name?: string;
  /**
   * Envoy's bootstrap (JSON), pointing ADS at the operator's xDS Service, with its admin interface on
   * the unix socket ENVOY_ADMIN_SOCKET; stored in a ConfigMap.
   */
  readonly bootstrap: Record<string, unknown>;
  /** @default the upstream image at the tested version */
  readonly image?: string;
  /** Image of the lifecycle container (it runs `node`). @default "portico/operator:0.1.0" */
  readonly lifecycleImage?: string;
  /** Longest wait, when a pod stops, for the connections its Envoy serves to finish. @default 15 */
  readonly drainSeconds?: number;
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

/**
 * One Envoy per node on the host network, configured over ADS by the operator. It rolls out with a
 * surge: the new pod's Envoy binds the same listeners beside the old one (SO_REUSEPORT, Envoy's
 * default) and is Ready once it has its configuration; only then does the old pod stop, and its
 * lifecycle container makes the old Envoy stop accepting and finish what it serves before it exits.
 * Nodes should set net.ipv4.tcp_migrate_req=1, so connections still queued on the old listener
 * move to the new one.
 */
export class EnvoyDaemonSet extends Construct {
  readonly daemonSet: plus.DaemonSet;
  readonly configMap: plus.ConfigMap;
  readonly serviceAccount: plus.ServiceAccount;

  constructor(scope: Construct, id: string, props: EnvoyDaemonSetProps) {
    super(scope, id);
    const name = props.name ?? 'portico-envoy';
    const drainSeconds = props.drainSeconds ?? 15;
    if (!Number.isInteger(drainSeconds) || drainSeconds < 1 || drainSeconds > 3600)
      invalid(this, 'drainSeconds', `must be a whole number from 1 to 3600, got ${drainSeconds}`);
    const admin = (props.bootstrap as { admin?: { address?: { pipe?: { path?: string } } } }).admin;
    const adminSocket = admin?.address?.pipe?.path;
    if (adminSocket !== ENVOY_ADMIN_SOCKET) {
      invalid(
        this,
        'bootstrap',
        `admin must listen on the unix socket ${ENVOY_ADMIN_SOCKET} (renderBootstrap's adminSocket), ` +
          `got ${JSON.stringify(admin?.address ?? null)}: during a rollout two Envoy pods share the node's ports`,
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
      data: {
        'bootstrap.json': JSON.stringify(props.bootstrap, null, 2),
        [LIFECYCLE_FILE]: lifecycleScript(),
        ...props.files,
      },
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
      // The drain, plus room for Envoy to exit.
      terminationGracePeriod: Duration.seconds(drainSeconds + 15),
    });
    // One per node, control-plane nodes included (as Cilium's agent and Envoy run).
    this.daemonSet.scheduling.tolerate(plus.Node.tainted(plus.NodeTaintQuery.any()));
    this.daemonSet.podMetadata.addLabel('app.kubernetes.io/name', name);
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
        // Hot restart's domain socket is per network namespace: a surged pod beside the old one
        // could not bind it. Rollouts replace pods instead.
        '--disable-hot-restart',
      ],
      envVariables: { NODE_NAME: plus.EnvValue.fromFieldRef(plus.EnvFieldPaths.NODE_NAME) },
      resources: props.resources ?? {
        cpu: { request: plus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(128), limit: Size.gibibytes(1) },
      },
      securityContext: {
        ensureNonRoot: false,
        user: 0,
        // The admin socket's group: the lifecycle container (NONROOT_ID) may use it, nobody else.
        group: NONROOT_ID,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: [plus.Capability.ALL], add: [plus.Capability.NET_BIND_SERVICE] },
        seccompProfile: runtimeDefaultSeccomp,
      },
    });
    const config = plus.Volume.fromConfigMap(this, 'BootstrapVolume', this.configMap);
    const run = plus.Volume.fromEmptyDir(this, 'Run', 'run');
    container.mount('/etc/envoy', config, { readOnly: true });
    container.mount('/tmp', plus.Volume.fromEmptyDir(this, 'Tmp', 'tmp'));
    container.mount(ENVOY_RUN_DIR, run);
    const script = `/etc/envoy/${LIFECYCLE_FILE}`;
    const lifecycle = this.daemonSet.addContainer({
      name: 'lifecycle',
      image: props.lifecycleImage ?? `portico/operator:${PORTICO_VERSION_TAG}`,
      imagePullPolicy: plus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['node', script, 'run', ENVOY_ADMIN_SOCKET, String(drainSeconds)],
      // Ready once this pod's Envoy has its configuration; the rollout waits for it.
      readiness: plus.Probe.fromCommand(['node', script, 'ready', ENVOY_ADMIN_SOCKET], {
        periodSeconds: Duration.seconds(3),
        timeoutSeconds: Duration.seconds(5),
      }),
      resources: {
        cpu: { request: plus.Cpu.millis(10) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
      },
      securityContext: nonRootContainer,
    });
    lifecycle.mount('/etc/envoy', config, { readOnly: true });
    lifecycle.mount(ENVOY_RUN_DIR, run);
    const ds = ApiObject.of(this.daemonSet);
    ds.addJsonPatch(
      JsonPatch.add('/spec/updateStrategy', {
        type: 'RollingUpdate',
        // Patches apply before serialization, which reads IntOrString values.
        rollingUpdate: { maxSurge: IntOrString.fromNumber(1), maxUnavailable: IntOrString.fromNumber(0) },
      }),
      // Envoy keeps serving while the lifecycle container drains it (both stop at once).
      JsonPatch.add('/spec/template/spec/containers/0/lifecycle', {
        preStop: { sleep: { seconds: drainSeconds + 1 } },
      }),
    );
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

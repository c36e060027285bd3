// The values layer of the Helm chart: which values a user sets, their schema, and where each one
// lands in the objects the cdk8s InstallChart synthesizes. Defaults that the chart already holds
// (replicas, resources, tolerations ...) are read from the synthesized objects, never written twice.

/** A step into a synthesized object: a key, an index, the list item with these fields, or an argument. */
export type PathStep =
  string | number | { match: Record<string, unknown> } | { argPrefix: string } | { argAfter: string };

/** Where a value lands: `kind/name` of a synthesized object and the path inside it. */
export interface Hole {
  object: string;
  path: PathStep[];
  /**
   * scalar: the node becomes `{{ expr }}`; block: an optional map or list from `.Values.<value>`
   * (left out when empty); append: template lines after the list's items.
   */
  kind: 'scalar' | 'block' | 'append';
  expr?: string;
  value?: string;
  lines?: string[];
}

export type JsonSchema = Record<string, unknown>;

export interface ValueSpec {
  /** Dotted path in values.yaml. */
  path: string;
  description: string;
  schema: JsonSchema;
  /** The default; or `{ synth: ... }` to read it from the synthesized object. */
  default: unknown;
}

/** A default read from a synthesized object; `fallback` when the object has nothing there. */
export const synthDefault = (object: string, path: PathStep[], fallback?: unknown) => ({
  synth: { object, path, fallback },
});

const str = { type: 'string' };
const podSpec = ['spec', 'template', 'spec'];
const container = (name: string): PathStep[] => [...podSpec, 'containers', { match: { name } }];

const imageSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    registry: { ...str, description: 'Registry host; empty uses global.imageRegistry, then none.' },
    repository: { type: 'string', minLength: 1 },
    tag: str,
    digest: { type: 'string', pattern: '^(sha256:[a-f0-9]{64})?$' },
    pullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'] },
  },
  required: ['repository'],
};
const resourcesSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    requests: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
    limits: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
  },
};
const nodeSelectorSchema: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };
const tolerationsSchema: JsonSchema = { type: 'array', items: { type: 'object' } };

function imageValues(key: string, object: string, containerName: string, imageRef: string): ValueSpec[] {
  const at = imageRef.lastIndexOf(':');
  const [repository, tag] =
    at > imageRef.lastIndexOf('/') ? [imageRef.slice(0, at), imageRef.slice(at + 1)] : [imageRef, ''];
  return [
    {
      path: `${key}.image`,
      description: `Image of ${containerName}: registry/repository:tag@digest.`,
      schema: imageSchema,
      default: { registry: '', repository, tag, digest: '', pullPolicy: 'IfNotPresent' },
    },
  ];
}

function imageHoles(key: string, object: string, containerName: string, pullSecrets = true): Hole[] {
  const holes: Hole[] = [
    {
      object,
      path: [...container(containerName), 'image'],
      kind: 'scalar',
      expr: `include "portico.image" (dict "image" .Values.${key}.image "global" .Values.global) | quote`,
    },
    {
      object,
      path: [...container(containerName), 'imagePullPolicy'],
      kind: 'scalar',
      expr: `.Values.${key}.image.pullPolicy | default "IfNotPresent" | quote`,
    },
  ];
  if (pullSecrets)
    holes.push({ object, path: [...podSpec, 'imagePullSecrets'], kind: 'block', value: 'imagePullSecrets' });
  return holes;
}

/** resources, nodeSelector, tolerations, affinity and priorityClassName of one workload. */
function workloadValues(key: string, what: string, object: string, containerName: string): ValueSpec[] {
  return [
    {
      path: `${key}.resources`,
      description: `Resources of ${what}.`,
      schema: resourcesSchema,
      default: synthDefault(object, [...container(containerName), 'resources']),
    },
    {
      path: `${key}.nodeSelector`,
      description: `Node labels ${what} must run on.`,
      schema: nodeSelectorSchema,
      default: {},
    },
    {
      path: `${key}.tolerations`,
      description: `Taints ${what} tolerates.`,
      schema: tolerationsSchema,
      default: synthDefault(object, [...podSpec, 'tolerations'], []),
    },
    { path: `${key}.affinity`, description: `Affinity of ${what}.`, schema: { type: 'object' }, default: {} },
    {
      path: `${key}.priorityClassName`,
      description: `PriorityClass of ${what}; empty for none.`,
      schema: str,
      default: '',
    },
  ];
}

function workloadHoles(key: string, object: string, containerName: string): Hole[] {
  return [
    { object, path: [...container(containerName), 'resources'], kind: 'block', value: `${key}.resources` },
    ...(['nodeSelector', 'tolerations', 'affinity', 'priorityClassName'] as const).map((field): Hole => ({
      object,
      path: [...podSpec, field],
      kind: 'block',
      value: `${key}.${field}`,
    })),
  ];
}

const OPERATOR = 'Deployment/portico-operator';
const ENVOY = 'DaemonSet/portico-envoy';
const AGENT = 'DaemonSet/portico-agent';
const CERTGEN = 'Job/portico-certgen';
const METRICS_SERVICE = 'Service/portico-operator-metrics';
const POOL = 'LoadBalancerIPPool/default';
const L2 = 'L2AnnouncementPolicy/default';
const GATEWAY_CLASS = 'GatewayClass/portico';
const SERVICE_MONITOR = 'ServiceMonitor/portico-operator-metrics';

export interface ValuesLayer {
  values: ValueSpec[];
  holes: Hole[];
  /** `kind/name` (or a `kind/name-prefix*`) -> the condition the object is rendered under. */
  conditions: Record<string, string>;
  /** Helm hooks: `kind/name` -> annotations. */
  hooks: Record<string, Record<string, string>>;
}

const hook = (events: string, weight: number) => ({
  'helm.sh/hook': events,
  'helm.sh/hook-weight': String(weight),
  'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
});

export function valuesLayer(images: { operator: string; envoy: string; agent: string }): ValuesLayer {
  const values: ValueSpec[] = [
    {
      path: 'global.imageRegistry',
      description: 'Registry for every image whose own registry is empty.',
      schema: str,
      default: '',
    },
    {
      path: 'imagePullSecrets',
      description: 'Pull secrets for every workload, e.g. [{name: regcred}].',
      schema: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: str } } },
      default: [],
    },
    ...imageValues('operator', OPERATOR, 'operator', images.operator),
    {
      path: 'operator.replicas',
      description: 'Operator replicas; any serves xDS, the leader alone writes.',
      schema: { type: 'integer', minimum: 1 },
      default: synthDefault(OPERATOR, ['spec', 'replicas']),
    },
    {
      path: 'operator.leaderElection.enabled',
      description: 'Elect one writer among the replicas; turn off only with one replica.',
      schema: { type: 'boolean' },
      default: true,
    },
    {
      path: 'operator.logLevel',
      description: 'Operator log level.',
      schema: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
      default: 'info',
    },
    ...workloadValues('operator', 'the operator', OPERATOR, 'operator'),
    {
      path: 'metrics.port',
      description: "Port of the operator's /metrics, /healthz and /readyz.",
      schema: { type: 'integer', minimum: 1, maximum: 65535 },
      default: 9090,
    },
    {
      path: 'metrics.serviceMonitor.enabled',
      description: 'Create a Prometheus Operator ServiceMonitor (needs its CRD).',
      schema: { type: 'boolean' },
      default: false,
    },
    {
      path: 'metrics.serviceMonitor.interval',
      description: 'Scrape interval.',
      schema: { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' },
      default: '30s',
    },
    ...imageValues('envoy', ENVOY, 'envoy', images.envoy),
    {
      path: 'envoy.logLevel',
      description: 'Envoy log level.',
      schema: { type: 'string', enum: ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] },
      default: 'info',
    },
    {
      path: 'envoy.concurrency',
      description: 'Envoy worker threads per node; 0 lets Envoy use one per core.',
      schema: { type: 'integer', minimum: 0 },
      default: 0,
    },
    {
      path: 'envoy.extraArgs',
      description: 'More Envoy command-line arguments.',
      schema: { type: 'array', items: str },
      default: [],
    },
    ...workloadValues('envoy', 'Envoy', ENVOY, 'envoy'),
    {
      path: 'agent.enabled',
      description: 'Run the node agent (L2 announcements) on every node.',
      schema: { type: 'boolean' },
      default: true,
    },
    ...imageValues('agent', AGENT, 'agent', images.agent),
    {
      path: 'agent.extraArgs',
      description: 'More agent arguments, e.g. --lease-duration=3s for a slow API server.',
      schema: { type: 'array', items: str },
      default: [],
    },
    ...workloadValues('agent', 'the agent', AGENT, 'agent'),
    ...workloadValues('certgen', 'the certgen Job', CERTGEN, 'certgen'),
    {
      path: 'gatewayClass.create',
      description: 'Create the GatewayClass.',
      schema: { type: 'boolean' },
      default: true,
    },
    {
      path: 'gatewayClass.name',
      description: 'Name of the GatewayClass Gateways refer to.',
      schema: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$' },
      default: 'portico',
    },
    {
      path: 'ipPool.blocks',
      description:
        'Address blocks ({cidr} or {start, stop}) of a default LoadBalancerIPPool and L2AnnouncementPolicy; empty creates neither.',
      schema: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          properties: { cidr: str, start: str, stop: str },
          oneOf: [{ required: ['cidr'] }, { required: ['start', 'stop'] }],
        },
      },
      default: [],
    },
    {
      path: 'l2Announcement.interfaces',
      description: 'Interface name patterns (RE2) the default policy announces on; empty means all.',
      schema: { type: 'array', items: str },
      default: [],
    },
    {
      path: 'l2Announcement.nodeSelector',
      description: 'Label selector of the nodes that may announce; empty means all.',
      schema: { type: 'object' },
      default: {},
    },
    {
      path: 'gatewayAPI.installCRDs',
      description: 'Install the pinned Gateway API CRDs (kept on uninstall).',
      schema: { type: 'boolean' },
      default: false,
    },
    {
      path: 'gatewayAPI.channel',
      description:
        'Channel of those CRDs: standard, or experimental (HTTPRoute retry, TLSRoute mixed modes, X* kinds).',
      schema: { type: 'string', enum: ['standard', 'experimental'] },
      default: 'standard',
    },
  ];

  const metricsPort = '.Values.metrics.port';
  const holes: Hole[] = [
    ...imageHoles('operator', OPERATOR, 'operator'),
    { object: OPERATOR, path: ['spec', 'replicas'], kind: 'scalar', expr: '.Values.operator.replicas' },
    {
      object: OPERATOR,
      path: [...container('operator'), 'args', { argPrefix: '--log-level=' }],
      kind: 'scalar',
      expr: 'printf "--log-level=%s" .Values.operator.logLevel | quote',
    },
    {
      object: OPERATOR,
      path: [...container('operator'), 'args', { argPrefix: '--leader-election-id=' }],
      kind: 'scalar',
      expr: 'ternary "--leader-election-id=portico-operator" "--leader-election-id=" .Values.operator.leaderElection.enabled | quote',
    },
    {
      object: OPERATOR,
      path: [...container('operator'), 'args', { argPrefix: '--metrics-port=' }],
      kind: 'scalar',
      expr: `printf "--metrics-port=%v" ${metricsPort} | quote`,
    },
    {
      object: OPERATOR,
      path: [...container('operator'), 'ports', { match: { name: 'metrics' } }, 'containerPort'],
      kind: 'scalar',
      expr: metricsPort,
    },
    {
      object: OPERATOR,
      path: [...container('operator'), 'readinessProbe', 'httpGet', 'port'],
      kind: 'scalar',
      expr: metricsPort,
    },
    {
      object: OPERATOR,
      path: [...container('operator'), 'livenessProbe', 'httpGet', 'port'],
      kind: 'scalar',
      expr: metricsPort,
    },
    { object: METRICS_SERVICE, path: ['spec', 'ports', 0, 'port'], kind: 'scalar', expr: metricsPort },
    { object: METRICS_SERVICE, path: ['spec', 'ports', 0, 'targetPort'], kind: 'scalar', expr: metricsPort },
    {
      object: SERVICE_MONITOR,
      path: ['spec', 'endpoints', 0, 'interval'],
      kind: 'scalar',
      expr: '.Values.metrics.serviceMonitor.interval | quote',
    },
    ...workloadHoles('operator', OPERATOR, 'operator'),
    ...imageHoles('envoy', ENVOY, 'envoy'),
    {
      object: ENVOY,
      path: [...container('envoy'), 'args', { argAfter: '--log-level' }],
      kind: 'scalar',
      expr: '.Values.envoy.logLevel | quote',
    },
    {
      object: ENVOY,
      path: [...container('envoy'), 'args'],
      kind: 'append',
      lines: [
        '{{- if .Values.envoy.concurrency }}',
        '- --concurrency',
        '- {{ .Values.envoy.concurrency | quote }}',
        '{{- end }}',
        '{{- range .Values.envoy.extraArgs }}',
        '- {{ . | quote }}',
        '{{- end }}',
      ],
    },
    ...workloadHoles('envoy', ENVOY, 'envoy'),
    // The Envoy pod's lifecycle container runs the operator image.
    ...imageHoles('operator', ENVOY, 'lifecycle', false),
    ...imageHoles('agent', AGENT, 'agent'),
    {
      object: AGENT,
      path: [...container('agent'), 'args'],
      kind: 'append',
      lines: ['{{- range .Values.agent.extraArgs }}', '- {{ . | quote }}', '{{- end }}'],
    },
    ...workloadHoles('agent', AGENT, 'agent'),
    // certgen runs the operator image.
    ...imageHoles('operator', CERTGEN, 'certgen'),
    ...workloadHoles('certgen', CERTGEN, 'certgen'),
    {
      object: GATEWAY_CLASS,
      path: ['metadata', 'name'],
      kind: 'scalar',
      expr: '.Values.gatewayClass.name | quote',
    },
    { object: POOL, path: ['spec', 'blocks'], kind: 'block', value: 'ipPool.blocks' },
    { object: L2, path: ['spec', 'interfaces'], kind: 'block', value: 'l2Announcement.interfaces' },
    { object: L2, path: ['spec', 'nodeSelector'], kind: 'block', value: 'l2Announcement.nodeSelector' },
  ];

  const certgenRbac = 'pre-install,pre-upgrade,post-delete';
  return {
    values,
    holes,
    conditions: {
      'ServiceAccount/portico-agent': '.Values.agent.enabled',
      'ClusterRole/portico-agent': '.Values.agent.enabled',
      'ClusterRoleBinding/portico-agent': '.Values.agent.enabled',
      'Role/portico-agent-leases': '.Values.agent.enabled',
      'RoleBinding/portico-agent-leases': '.Values.agent.enabled',
      [AGENT]: '.Values.agent.enabled',
      [GATEWAY_CLASS]: '.Values.gatewayClass.create',
      [POOL]: '.Values.ipPool.blocks',
      [L2]: '.Values.ipPool.blocks',
      [SERVICE_MONITOR]: '.Values.metrics.serviceMonitor.enabled',
    },
    hooks: {
      'ServiceAccount/portico-certgen': hook(certgenRbac, -10),
      'Role/portico-certgen': hook(certgenRbac, -10),
      'RoleBinding/portico-certgen': hook(certgenRbac, -10),
      [CERTGEN]: hook('pre-install,pre-upgrade', 0),
    },
  };
}

// Generates the Helm chart `portico` from the cdk8s InstallChart: the objects it synthesizes,
// with the values layer's holes turned into template expressions. Nothing is written twice: at
// default values `helm template` gives back exactly what the InstallChart synthesizes.
import fs from 'node:fs';
import path from 'node:path';
import { App } from 'cdk8s';
import { parse, stringify } from 'yaml';
import { PORTICO_VERSION_TAG } from '../../constructs/agent-daemon-set.ts';
import { InstallChart } from '../install-chart.ts';
import { valuesLayer, type Hole, type JsonSchema, type PathStep, type ValueSpec } from './values-layer.ts';
import type { GatewayApiChannel } from '../../local/toolchain/paths.ts';

type Obj = Record<string, unknown>;

/** The namespace the InstallChart is synthesized into; the templates use the release's instead. */
const NAMESPACE = 'portico-system';
export const CHART_NAME = 'portico';
const CLEANUP_JOB = 'portico-certgen-cleanup';

export const objectKey = (o: { kind?: unknown; metadata?: { name?: unknown } }) =>
  `${o.kind}/${o.metadata?.name}`;

/** Every object the InstallChart makes, with every optional part switched on. */
export function synthesizeAll(): Obj[] {
  const chart = new InstallChart(new App(), 'portico-install', {
    namespace: NAMESPACE,
    agent: true,
    gatewayClass: true,
    ipPoolBlocks: [{ cidr: '192.0.2.0/24' }],
    serviceMonitor: true,
  });
  return chart.toJson() as Obj[];
}

function resolveStep(node: unknown, step: PathStep, where: string): string | number {
  if (typeof step === 'string' || typeof step === 'number') return step;
  if (!Array.isArray(node)) throw new Error(`${where}: expected a list for ${JSON.stringify(step)}`);
  const i = node.findIndex((item: unknown, idx: number) => {
    if ('match' in step)
      return Object.entries(step.match).every(([k, v]) => (item as Obj | undefined)?.[k] === v);
    if ('argPrefix' in step) return typeof item === 'string' && item.startsWith(step.argPrefix);
    return idx > 0 && node[idx - 1] === step.argAfter;
  });
  if (i < 0) throw new Error(`${where}: no list item for ${JSON.stringify(step)}`);
  return i;
}

/** The value at `path`, or undefined. */
export function getPath(obj: unknown, steps: PathStep[], where = ''): unknown {
  let node = obj;
  for (const step of steps) {
    if (node === undefined || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[resolveStep(node, step, where)];
  }
  return node;
}

function setPath(obj: unknown, steps: PathStep[], value: unknown, where: string): void {
  let node = obj as Record<string | number, unknown>;
  for (const [i, step] of steps.entries()) {
    const key = resolveStep(node, step, where);
    if (i === steps.length - 1) node[key] = value;
    else {
      node[key] ??= {};
      node = node[key] as Record<string | number, unknown>;
    }
  }
}

/** The values tree with defaults, those marked `synth` read from the synthesized objects. */
export function defaultValues(specs: ValueSpec[], objects: Obj[]): Obj {
  const byKey = new Map(objects.map((o) => [objectKey(o), o]));
  const values: Obj = {};
  for (const spec of specs) {
    let value = spec.default;
    const synth = (value as { synth?: { object: string; path: PathStep[]; fallback?: unknown } } | null)
      ?.synth;
    if (synth) {
      value =
        getPath(byKey.get(synth.object), synth.path, `${spec.path} <- ${synth.object}`) ?? synth.fallback;
      if (value === undefined) throw new Error(`${spec.path}: ${synth.object} has nothing at its path`);
    }
    setPath(values, spec.path.split('.'), structuredClone(value), spec.path);
  }
  return values;
}

/** values.schema.json: every level closed, so a misspelt key fails as surely as a wrong type. */
export function valuesSchema(specs: ValueSpec[], defaults: Obj): JsonSchema {
  const root: JsonSchema = {
    $schema: 'https://json-schema.org/draft-07/schema#',
    title: 'Values of the portico chart',
    type: 'object',
    additionalProperties: false,
    properties: {},
  };
  for (const spec of specs) {
    const keys = spec.path.split('.');
    let node = root;
    for (const k of keys.slice(0, -1)) {
      const props = node.properties as Record<string, JsonSchema>;
      props[k] ??= { type: 'object', additionalProperties: false, properties: {} };
      node = props[k];
    }
    (node.properties as Record<string, JsonSchema>)[keys.at(-1)!] = {
      description: spec.description,
      ...spec.schema,
      default: getPath(defaults, keys),
    };
  }
  return root;
}

function valuesYaml(specs: ValueSpec[], defaults: Obj): string {
  const described = new Map(specs.map((s) => [s.path, s.description]));
  const lines = [
    '# Values of the portico chart. Generated from charts/helm/values-layer.ts; see values.schema.json.',
  ];
  const walk = (tree: Obj, prefix: string, indent: string) => {
    for (const [key, value] of Object.entries(tree)) {
      const p = prefix ? `${prefix}.${key}` : key;
      const description = described.get(p);
      if (description === undefined) {
        lines.push(`${indent}${key}:`);
        walk(value as Obj, p, `${indent}  `);
        continue;
      }
      lines.push(`${indent}# -- ${description}`);
      const text = stringify({ [key]: value }, { lineWidth: 0 }).trimEnd();
      lines.push(...text.split('\n').map((l) => indent + l));
    }
  };
  walk(defaults, '', '');
  return lines.join('\n') + '\n';
}

const token = (i: number) => `__PORTICO_HOLE_${i}__`;

/** One object as template text: holes as expressions, its namespace the release's, under its condition. */
export function templateFor(obj: Obj, holes: Hole[], condition: string | undefined): string {
  const o = structuredClone(obj);
  const key = objectKey(obj);
  holes.forEach((h, i) => {
    const where = `${key} ${JSON.stringify(h.path)}`;
    if (h.kind === 'append') {
      const list = getPath(o, h.path, where);
      if (!Array.isArray(list)) throw new Error(`${where}: append needs a list`);
      list.push(token(i));
    } else {
      if (h.kind === 'scalar' && getPath(o, h.path, where) === undefined)
        throw new Error(`${where}: nothing to replace`);
      setPath(o, h.path, token(i), where);
    }
  });
  let text = stringify(o, { lineWidth: 0 });
  if (text.includes('{{'))
    throw new Error(`${key}: synthesized text contains "{{", which Helm would read as a template`);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\s*)(- )?(.*?)__PORTICO_HOLE_(\d+)__$/.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const [, indent = '', dash, prefix = '', n] = m;
    const h = holes[Number(n)]!;
    if (h.kind === 'scalar') out.push(`${indent}${dash ?? ''}${prefix}{{ ${h.expr} }}`);
    else if (h.kind === 'append') out.push(...h.lines!.map((l) => indent + l));
    else {
      if (dash) throw new Error(`${key}: a block hole cannot be a list item's first key`);
      out.push(
        `${indent}{{- with .Values.${h.value} }}`,
        `${indent}${prefix.trimEnd()}`,
        `${indent}  {{- toYaml . | nindent ${indent.length + 2} }}`,
        `${indent}{{- end }}`,
      );
    }
  }
  text = out.join('\n').replace(new RegExp(`\\b${NAMESPACE}\\b`, 'g'), '{{ .Release.Namespace }}');
  return condition ? `{{- if ${condition} }}\n${text.trimEnd()}\n{{- end }}\n` : text;
}

const HELPERS = `{{/* registry/repository:tag@digest; the image's registry, else global.imageRegistry. */}}
{{- define "portico.image" -}}
{{- $registry := .image.registry | default .global.imageRegistry -}}
{{- $ref := .image.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" $registry $ref }}{{ end -}}
{{- if .image.tag }}{{ $ref = printf "%s:%s" $ref .image.tag }}{{ end -}}
{{- if .image.digest }}{{ $ref = printf "%s@%s" $ref .image.digest }}{{ end -}}
{{- $ref -}}
{{- end -}}
`;

const NOTES = `Portico {{ .Chart.AppVersion }} is installed in namespace {{ .Release.Namespace }}.

Check that it runs:
  kubectl -n {{ .Release.Namespace }} rollout status deployment/portico-operator
  kubectl -n {{ .Release.Namespace }} rollout status daemonset/portico-envoy
{{- if .Values.gatewayClass.create }}
  kubectl get gatewayclass {{ .Values.gatewayClass.name }}    # ACCEPTED True once the operator runs
{{- end }}
  kubectl -n {{ .Release.Namespace }} get secrets portico-xds-server portico-xds-client    # xDS mTLS, made by certgen
{{- if not .Values.ipPool.blocks }}

No IP pool was created: Gateways get an address once a LoadBalancerIPPool exists, e.g.
  helm upgrade {{ .Release.Name }} <chart> -n {{ .Release.Namespace }} --reuse-values --set 'ipPool.blocks[0].cidr=192.0.2.0/28'
{{- end }}

Then create a Gateway with gatewayClassName: {{ .Values.gatewayClass.name }} and an HTTPRoute; its address is in
  kubectl get gateway <name> -o jsonpath='{.status.addresses[0].value}'
`;

const GATEWAY_API_TEMPLATE = `{{- if .Values.gatewayAPI.installCRDs }}
{{- range $path, $_ := .Files.Glob (printf "files/gateway-api/%s/*.yaml" .Values.gatewayAPI.channel) }}
---
{{ $.Files.Get $path }}
{{- end }}
{{- end }}
`;

export interface GenerateOptions {
  /** Folders with the Gateway API CRD files to ship, by channel (optional install). */
  gatewayCrdDirs: Readonly<Record<GatewayApiChannel, string>>;
  /** Chart version. */
  version: string;
}

/** Writes the chart into `dir` (emptied first). */
export function generateChart(dir: string, opts: GenerateOptions): void {
  const all = synthesizeAll();
  const images = {
    operator: String(
      getPath(
        all.find((o) => objectKey(o) === 'Deployment/portico-operator'),
        ['spec', 'template', 'spec', 'containers', 0, 'image'],
      ),
    ),
    envoy: String(
      getPath(
        all.find((o) => objectKey(o) === 'DaemonSet/portico-envoy'),
        ['spec', 'template', 'spec', 'containers', 0, 'image'],
      ),
    ),
    agent: String(
      getPath(
        all.find((o) => objectKey(o) === 'DaemonSet/portico-agent'),
        ['spec', 'template', 'spec', 'containers', 0, 'image'],
      ),
    ),
  };
  const layer = valuesLayer(images);
  // The post-delete twin of the certgen Job removes the Secrets it made (Helm does not own them).
  const certgen = all.find((o) => objectKey(o) === 'Job/portico-certgen')!;
  const cleanup = structuredClone(certgen) as Obj & {
    metadata: Obj;
    spec: { template: { spec: { containers: Obj[] } } };
  };
  cleanup.metadata.name = CLEANUP_JOB;
  const c0 = cleanup.spec.template.spec.containers[0]!;
  c0.args = ['certgen', '--delete', ...(c0.args as string[]).slice(1)];
  const holes = [
    ...layer.holes,
    ...layer.holes
      .filter((h) => h.object === 'Job/portico-certgen')
      .map((h) => ({ ...h, object: `Job/${CLEANUP_JOB}` })),
  ];
  const hooks: Record<string, Record<string, string>> = {
    ...layer.hooks,
    [`Job/${CLEANUP_JOB}`]: { ...layer.hooks['Job/portico-certgen']!, 'helm.sh/hook': 'post-delete' },
  };

  const objects = [...all, cleanup];
  fs.rmSync(dir, { recursive: true, force: true });
  for (const sub of ['templates', 'crds', 'files/gateway-api'])
    fs.mkdirSync(path.join(dir, sub), { recursive: true });

  const defaults = defaultValues(layer.values, objects);
  let n = 0;
  for (const obj of objects) {
    const key = objectKey(obj);
    if (obj.kind === 'Namespace') continue; // helm install --create-namespace, or the namespace exists
    if (obj.kind === 'CustomResourceDefinition') {
      fs.writeFileSync(
        path.join(dir, 'crds', `${(obj.metadata as Obj).name}.yaml`),
        stringify(obj, { lineWidth: 0 }),
      );
      continue;
    }
    const annotations = hooks[key];
    const withHooks = annotations
      ? {
          ...obj,
          metadata: {
            ...(obj.metadata as Obj),
            annotations: { ...((obj.metadata as Obj).annotations as Obj), ...annotations },
          },
        }
      : obj;
    const file = `${String(++n).padStart(2, '0')}-${String(obj.kind).toLowerCase()}-${(obj.metadata as Obj).name}.yaml`;
    fs.writeFileSync(
      path.join(dir, 'templates', file),
      templateFor(
        withHooks,
        holes.filter((h) => h.object === key),
        layer.conditions[key],
      ),
    );
  }
  for (const [channel, crdDir] of Object.entries(opts.gatewayCrdDirs)) {
    fs.mkdirSync(path.join(dir, 'files', 'gateway-api', channel), { recursive: true });
    for (const f of fs
      .readdirSync(crdDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const crd = parse(fs.readFileSync(path.join(crdDir, f), 'utf8')) as Obj & { metadata: Obj };
      // Deleting a Gateway API CRD deletes every Gateway and route in the cluster: never on uninstall.
      crd.metadata.annotations = { ...(crd.metadata.annotations as Obj), 'helm.sh/resource-policy': 'keep' };
      fs.writeFileSync(path.join(dir, 'files', 'gateway-api', channel, f), stringify(crd, { lineWidth: 0 }));
    }
  }
  fs.writeFileSync(path.join(dir, 'templates', 'gateway-api-crds.yaml'), GATEWAY_API_TEMPLATE);
  fs.writeFileSync(path.join(dir, 'templates', '_helpers.tpl'), HELPERS);
  fs.writeFileSync(path.join(dir, 'templates', 'NOTES.txt'), NOTES);
  fs.writeFileSync(path.join(dir, 'values.yaml'), valuesYaml(layer.values, defaults));
  fs.writeFileSync(
    path.join(dir, 'values.schema.json'),
    JSON.stringify(valuesSchema(layer.values, defaults), null, 2) + '\n',
  );
  fs.writeFileSync(
    path.join(dir, 'Chart.yaml'),
    stringify({
      apiVersion: 'v2',
      name: CHART_NAME,
      description:
        'Portico: a Kubernetes Gateway API implementation with one Envoy per node, LB IPAM and L2 announcement.',
      type: 'application',
      version: opts.version,
      appVersion: PORTICO_VERSION_TAG,
      kubeVersion: '>=1.30.0-0',
      home: 'https://portico.dev',
      keywords: ['gateway-api', 'envoy', 'ingress', 'load-balancer'],
    }),
  );
}

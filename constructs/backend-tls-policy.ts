import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { invalid } from './errors.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkHostname, checkName, checkSectionName } from './validate.ts';

export interface BackendTlsTarget {
  /** A Service in the policy's namespace. */
  readonly service: string;
  /** Only this port of the Service, by its name. @default every port */
  readonly sectionName?: string;
}

/** A name the backend's certificate must carry. */
export type BackendSubjectAltName =
  { readonly type: 'Hostname'; readonly hostname: string } | { readonly type: 'URI'; readonly uri: string };

export interface BackendTlsPolicyProps {
  /** Object metadata; the namespace is the Services' and ConfigMaps'. @default a unique name */
  readonly metadata?: ApiObjectMetadata;
  /** The Services (or Service ports) the Gateway reaches over TLS. */
  readonly targets: BackendTlsTarget[];
  /** SNI sent to the backend; its certificate must carry it unless subjectAltNames are given. */
  readonly hostname: string;
  /** ConfigMaps (same namespace) holding the CA bundle under the key `ca.crt`. */
  readonly caCertificateConfigMaps: string[];
  /** Names the backend certificate must carry (any one of them), instead of `hostname`. @default none */
  readonly subjectAltNames?: BackendSubjectAltName[];
}

/** A BackendTLSPolicy (gateway.networking.k8s.io/v1): the Gateway speaks TLS to these Services. */
export class BackendTlsPolicy extends Construct {
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: BackendTlsPolicyProps) {
    super(scope, id);
    checkKeys(this, '', props, KEYS.backendTlsPolicy);
    if (props.targets.length === 0) invalid(this, 'targets', 'must name at least one Service');
    const seen = new Set<string>();
    props.targets.forEach((t, i) => {
      checkKeys(this, `targets[${i}]`, t, KEYS.backendTlsTarget);
      checkName(this, `targets[${i}].service`, t.service);
      if (t.sectionName !== undefined) checkSectionName(this, `targets[${i}].sectionName`, t.sectionName);
      const k = `${t.service}#${t.sectionName ?? ''}`;
      if (seen.has(k))
        invalid(
          this,
          `targets[${i}]`,
          `repeats Service "${t.service}"${t.sectionName ? ` port "${t.sectionName}"` : ''}`,
        );
      seen.add(k);
    });
    checkHostname(this, 'hostname', props.hostname);
    if (props.hostname.startsWith('*.'))
      invalid(this, 'hostname', `must be a precise name (it is the SNI), got "${props.hostname}"`);
    if (props.caCertificateConfigMaps.length === 0)
      invalid(this, 'caCertificateConfigMaps', 'must name at least one ConfigMap with a `ca.crt` key');
    props.caCertificateConfigMaps.forEach((n, i) => checkName(this, `caCertificateConfigMaps[${i}]`, n));
    (props.subjectAltNames ?? []).forEach((s, i) => {
      if (s.type === 'Hostname') checkHostname(this, `subjectAltNames[${i}].hostname`, s.hostname);
      else if (s.type !== 'URI' || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(s.uri))
        invalid(
          this,
          `subjectAltNames[${i}]`,
          'must be {type: "Hostname", hostname} or {type: "URI", uri} with a scheme',
        );
    });
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'BackendTLSPolicy',
      metadata: props.metadata,
      spec: {
        targetRefs: props.targets.map((t) => ({
          group: '',
          kind: 'Service',
          name: t.service,
          ...(t.sectionName !== undefined ? { sectionName: t.sectionName } : {}),
        })),
        validation: {
          caCertificateRefs: props.caCertificateConfigMaps.map((name) => ({
            group: '',
            kind: 'ConfigMap',
            name,
          })),
          hostname: props.hostname,
          ...(props.subjectAltNames?.length
            ? {
                subjectAltNames: props.subjectAltNames.map((s) =>
                  s.type === 'Hostname'
                    ? { type: 'Hostname', hostname: s.hostname }
                    : { type: 'URI', uri: s.uri },
                ),
              }
            : {}),
        },
      },
    });
  }
}

// Gateway spec.tls.frontend: client certificate validation for HTTPS listeners, by default and per port.
import type * as plus from 'cdk8s-plus-34';
import type { IConstruct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { enumValue } from './enum.ts';
import { invalid, validationMessage } from './errors.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkName, checkPort } from './validate.ts';

/** A CA bundle ConfigMap (PEM in its `ca.crt` key): its name (and namespace), or a cdk8s-plus ConfigMap. */
export type CaCertificateRef = { readonly name: string; readonly namespace?: string } | plus.ConfigMap;

export type FrontendValidationMode = 'AllowValidOnly' | 'AllowInsecureFallback';

export interface FrontendValidation {
  /** CA bundles client certificates must chain to (1 to 16). */
  readonly caCertificateRefs: CaCertificateRef[];
  /** AllowInsecureFallback also lets clients without a valid certificate through. @default "AllowValidOnly" */
  readonly mode?: FrontendValidationMode;
}

export interface FrontendTlsPort {
  /** A port of this Gateway's HTTPS listeners. */
  readonly port: number;
  /** Validation on this port instead of the default. @default none: no client certificate asked for */
  readonly validation?: FrontendValidation;
}

/** spec.tls.frontend: how HTTPS listeners validate client certificates (mutual TLS). */
export interface FrontendTls {
  /** Validation for every HTTPS listener without a perPort entry. @default none */
  readonly default?: FrontendValidation;
  /** Overrides by port; each port at most once. @default none */
  readonly perPort?: FrontendTlsPort[];
}

const MODES: readonly string[] = ['AllowValidOnly', 'AllowInsecureFallback'];

function isConfigMap(ref: CaCertificateRef): ref is plus.ConfigMap {
  return typeof (ref as plus.ConfigMap).apiVersion === 'string';
}

function validation(
  scope: IConstruct,
  at: string,
  v: FrontendValidation,
  ownNamespace: string | undefined,
): gwapi.GatewaySpecTlsFrontendDefaultValidation {
  checkKeys(scope, at, v, KEYS.frontendValidation);
  const refs = v.caCertificateRefs ?? [];
  if (refs.length < 1 || refs.length > 16)
    invalid(scope, `${at}.caCertificateRefs`, `must name 1 to 16 CA bundle ConfigMaps, got ${refs.length}`);
  if (v.mode !== undefined && !MODES.includes(v.mode))
    invalid(
      scope,
      `${at}.mode`,
      `must be "AllowValidOnly" or "AllowInsecureFallback", got "${String(v.mode)}"`,
    );
  return {
    caCertificateRefs: refs.map((r, i) => {
      const name = r.name;
      const namespace = isConfigMap(r) ? r.metadata.namespace : r.namespace;
      checkName(scope, `${at}.caCertificateRefs[${i}].name`, name);
      if (!isConfigMap(r) && namespace !== undefined)
        checkName(scope, `${at}.caCertificateRefs[${i}].namespace`, namespace);
      return {
        group: '',
        kind: 'ConfigMap',
        name,
        namespace: namespace !== undefined && namespace !== ownNamespace ? namespace : undefined,
      };
    }),
    mode: v.mode && enumValue<gwapi.GatewaySpecTlsFrontendDefaultValidationMode>(v.mode),
  };
}

/** The wire form of `frontendTls`; throws on an invalid field, naming it. */
export function frontendTlsSpec(
  scope: IConstruct,
  f: FrontendTls,
  ownNamespace: string | undefined,
): gwapi.GatewaySpecTlsFrontend {
  checkKeys(scope, 'frontendTls', f, KEYS.frontendTls);
  const seen = new Set<number>();
  const perPort = (f.perPort ?? []).map((p, i): gwapi.GatewaySpecTlsFrontendPerPort => {
    const at = `frontendTls.perPort[${i}]`;
    checkKeys(scope, at, p, KEYS.frontendTlsPort);
    checkPort(scope, `${at}.port`, p.port);
    if (seen.has(p.port)) invalid(scope, `${at}.port`, `${p.port} is listed twice; give each port one entry`);
    seen.add(p.port);
    const v = p.validation && validation(scope, `${at}.validation`, p.validation, ownNamespace);
    return {
      port: p.port,
      tls: {
        validation: v && {
          ...v,
          mode: v.mode && enumValue<gwapi.GatewaySpecTlsFrontendPerPortTlsValidationMode>(v.mode),
        },
      },
    };
  });
  return {
    // The API requires `default`, even when only ports are configured.
    default: {
      validation: f.default && validation(scope, 'frontendTls.default', f.default, ownNamespace),
    },
    perPort: perPort.length > 0 ? perPort : undefined,
  };
}

/** Synth-time: a perPort entry must match an HTTPS listener (listeners may be added after the props). */
export function frontendTlsPortErrors(
  scope: IConstruct,
  f: FrontendTls | undefined,
  listeners: readonly { readonly protocol: string; readonly port: number }[],
): string[] {
  const https = new Set(listeners.filter((l) => l.protocol === 'HTTPS').map((l) => l.port));
  return (f?.perPort ?? [])
    .map((p, i) =>
      https.has(p.port)
        ? ''
        : validationMessage(
            scope,
            `frontendTls.perPort[${i}].port`,
            `${p.port} has no HTTPS listener; client certificate validation applies only to HTTPS listeners`,
          ),
    )
    .filter(Boolean);
}

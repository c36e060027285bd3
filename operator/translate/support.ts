// What Portico supports of the Gateway API, in one table: the GatewayClass's
// status.supportedFeatures, the translator's "supported: ..." hints and docs/support.md all
// read it, so they cannot disagree.

export type Area =
  | 'Kinds'
  | 'Gateway listener protocol'
  | 'Gateway'
  | 'HTTPRoute match'
  | 'HTTPRoute filter'
  | 'HTTPRoute redirect status'
  | 'HTTPRoute'
  | 'TLSRoute'
  | 'Mesh';

export interface Support {
  readonly area: Area;
  /** The Gateway API's own name for it: a kind, protocol, field, filter type or value. */
  readonly name: string;
  readonly supported: boolean;
  /** The conformance feature name, when the Gateway API has one. */
  readonly feature?: string;
  readonly note?: string;
}

const yes = (area: Area, name: string, feature?: string, note?: string): Support => ({
  area,
  name,
  supported: true,
  ...(feature ? { feature } : {}),
  ...(note ? { note } : {}),
});
const notYet = (area: Area, name: string, feature?: string, note?: string): Support => ({
  ...yes(area, name, feature, note),
  supported: false,
});

export const SUPPORT: readonly Support[] = [
  yes('Kinds', 'GatewayClass'),
  yes('Kinds', 'Gateway', 'Gateway'),
  yes('Kinds', 'HTTPRoute', 'HTTPRoute'),
  yes('Kinds', 'TLSRoute', 'TLSRoute', 'mode Passthrough, or Terminate'),
  yes('Kinds', 'ReferenceGrant', 'ReferenceGrant'),
  yes(
    'Kinds',
    'GRPCRoute',
    'GRPCRoute',
    'method (exact, regular expression) and header matches, header modifiers, request mirrors, weights; HTTP/2 to backends',
  ),
  yes('Kinds', 'GRPCRoute rules[].name', 'GRPCRouteNamedRouteRule'),
  yes('Kinds', 'TCPRoute', 'TCPRoute', 'weighted backends (tcp_proxy)'),
  yes(
    'Kinds',
    'UDPRoute',
    'UDPRoute',
    'weighted backends (udp_proxy, one session per client address and port)',
  ),
  yes(
    'Kinds',
    'BackendTLSPolicy',
    'BackendTLSPolicy',
    'CA bundles from ConfigMaps (ca.crt); no wellKnownCACertificates; HTTPRoute and GRPCRoute backends',
  ),
  yes('Kinds', 'BackendTLSPolicy SAN validation', 'BackendTLSPolicySANValidation', 'Hostname and URI'),
  yes(
    'Kinds',
    'ListenerSet',
    'ListenerSet',
    "listeners merged after the Gateway's own; a set listener that conflicts with an earlier one is not accepted",
  ),

  yes('Gateway listener protocol', 'HTTP'),
  yes('Gateway listener protocol', 'HTTPS', undefined, 'tls.mode Terminate with core Secrets'),
  yes(
    'Gateway listener protocol',
    'TLS',
    undefined,
    'tls.mode Passthrough or Terminate, both on one port too',
  ),
  yes('Gateway listener protocol', 'TCP', undefined, 'TCPRoute; the oldest attached route gets the traffic'),
  yes('Gateway listener protocol', 'UDP', undefined, 'UDPRoute; the oldest attached route gets the traffic'),

  yes('Gateway', 'listeners[].port 8080', 'GatewayPort8080'),
  yes('Gateway', 'addresses[] IPAddress without a value', 'GatewayAddressEmpty'),
  yes(
    'Gateway',
    'addresses[] with a static value',
    'GatewayStaticAddresses',
    'IPAddress from an IP pool; others are Programmed False/AddressNotUsable',
  ),
  notYet('Gateway', 'addresses[] type Hostname or NamedAddress'),
  yes('Gateway', 'HTTP listener isolation', 'GatewayHTTPListenerIsolation'),
  yes(
    'Gateway',
    'HTTPS misdirected requests answered 421',
    'GatewayHTTPSListenerDetectMisdirectedRequests',
    'a Host that belongs to another listener than the SNI',
  ),
  yes(
    'Gateway',
    'infrastructure',
    'GatewayInfrastructure',
    "labels and annotations on the Gateway's Service; no parametersRef",
  ),
  yes(
    'Gateway',
    'tls.backend client certificate',
    'GatewayBackendClientCertificate',
    'a core Secret, presented to backends a BackendTLSPolicy covers',
  ),
  yes(
    'Gateway',
    'tls.frontend client certificate validation',
    'GatewayFrontendClientCertificateValidation',
    'HTTPS listeners, default and per port; CA bundles from ConfigMaps (key ca.crt)',
  ),
  yes(
    'Gateway',
    'tls.frontend insecure fallback',
    'GatewayFrontendClientCertificateValidationInsecureFallback',
  ),

  yes('HTTPRoute match', 'path Exact'),
  yes('HTTPRoute match', 'path PathPrefix'),
  yes('HTTPRoute match', 'path RegularExpression', undefined, 'RE2'),
  yes('HTTPRoute match', 'headers Exact'),
  yes('HTTPRoute match', 'headers RegularExpression', undefined, 'RE2'),
  yes('HTTPRoute match', 'queryParams', 'HTTPRouteQueryParamMatching'),
  yes('HTTPRoute match', 'method', 'HTTPRouteMethodMatching'),

  yes('HTTPRoute filter', 'RequestHeaderModifier'),
  yes('HTTPRoute filter', 'ResponseHeaderModifier', 'HTTPRouteResponseHeaderModification'),
  yes('HTTPRoute filter', 'RequestRedirect'),
  yes('HTTPRoute filter', 'URLRewrite'),
  yes('HTTPRoute filter', 'RequestMirror', 'HTTPRouteRequestMirror'),
  yes('HTTPRoute filter', 'CORS', 'HTTPRouteCORS', 'preflights answered by Envoy; `*` echoes the request'),
  notYet('HTTPRoute filter', 'ExtensionRef'),

  yes('HTTPRoute redirect status', '301'),
  yes('HTTPRoute redirect status', '302'),
  yes('HTTPRoute redirect status', '303', 'HTTPRoute303RedirectStatusCode'),
  yes('HTTPRoute redirect status', '307', 'HTTPRoute307RedirectStatusCode'),
  yes('HTTPRoute redirect status', '308', 'HTTPRoute308RedirectStatusCode'),

  yes('HTTPRoute', 'RequestRedirect scheme', 'HTTPRouteSchemeRedirect'),
  yes('HTTPRoute', 'RequestRedirect port', 'HTTPRoutePortRedirect'),
  yes('HTTPRoute', 'RequestRedirect path', 'HTTPRoutePathRedirect'),
  yes('HTTPRoute', 'URLRewrite hostname', 'HTTPRouteHostRewrite'),
  yes('HTTPRoute', 'URLRewrite path', 'HTTPRoutePathRewrite'),
  yes('HTTPRoute', 'rules[].name', 'HTTPRouteNamedRouteRule'),
  yes('HTTPRoute', 'parentRefs[].port', 'HTTPRouteParentRefPort'),
  yes('HTTPRoute', 'backendRefs[].port on a destination port', 'HTTPRouteDestinationPortMatching'),
  yes(
    'HTTPRoute',
    'backendRefs[].filters',
    'HTTPRouteBackendRequestHeaderModification',
    'RequestHeaderModifier and ResponseHeaderModifier',
  ),
  yes('HTTPRoute', 'multiple RequestMirror filters', 'HTTPRouteRequestMultipleMirrors'),
  yes('HTTPRoute', 'RequestMirror percentage', 'HTTPRouteRequestPercentageMirror', 'percent or fraction'),
  yes('HTTPRoute', 'timeouts.request', 'HTTPRouteRequestTimeout'),
  yes(
    'HTTPRoute',
    'timeouts.backendRequest',
    'HTTPRouteBackendTimeout',
    'without retry the shorter timeout bounds the exchange; with retry, each attempt',
  ),
  yes('HTTPRoute', 'retry', 'HTTPRouteRetry', 'experimental channel: codes, attempts (default 1), backoff'),
  yes(
    'HTTPRoute',
    'retry on backend timeout',
    'HTTPRouteRetryBackendTimeout',
    'timeouts.backendRequest bounds each attempt',
  ),
  yes(
    'HTTPRoute',
    'retry on connection error',
    'HTTPRouteRetryConnectionError',
    'refused connections and resets',
  ),
  yes('HTTPRoute', 'backend appProtocol kubernetes.io/h2c', 'HTTPRouteBackendProtocolH2C'),
  yes('HTTPRoute', 'backend appProtocol kubernetes.io/ws', 'HTTPRouteBackendProtocolWebSocket'),

  yes('TLSRoute', 'listener tls.mode Terminate', 'TLSRouteModeTerminate'),
  yes('TLSRoute', 'Terminate and Passthrough on one port', 'TLSRouteModeMixed', 'one mode per SNI name'),

  notYet('Mesh', 'service mesh (GAMMA)', 'Mesh'),
  notYet('Mesh', 'ClusterIP matching', 'MeshClusterIPMatching'),
  notYet('Mesh', 'consumer routes', 'MeshConsumerRoute'),
  notYet('Mesh', 'HTTPRoute path rewrite', 'MeshHTTPRouteRewritePath'),
  notYet('Mesh', 'HTTPRoute scheme redirect', 'MeshHTTPRouteSchemeRedirect'),
  notYet('Mesh', 'HTTPRoute port redirect', 'MeshHTTPRouteRedirectPort'),
  notYet('Mesh', 'HTTPRoute path redirect', 'MeshHTTPRouteRedirectPath'),
  notYet(
    'Mesh',
    'HTTPRoute backend request header modification',
    'MeshHTTPRouteBackendRequestHeaderModification',
  ),
  notYet('Mesh', 'HTTPRoute query param matching', 'MeshHTTPRouteQueryParamMatching'),
  notYet('Mesh', 'HTTPRoute named route rule', 'MeshHTTPRouteNamedRouteRule'),
];

/** Only what Portico really implements (the spec's feature names), sorted. */
export const SUPPORTED_FEATURES: readonly string[] = SUPPORT.filter((s) => s.supported && s.feature)
  .map((s) => s.feature!)
  .sort();

/** The supported names of one area, in table order; with `prefix`, those under it, without it. */
export function supported(area: Area, prefix = ''): string[] {
  return SUPPORT.filter((s) => s.area === area && s.supported && s.name.startsWith(prefix)).map((s) =>
    s.name.slice(prefix.length),
  );
}

/** `redirect status 303 is not supported; supported: 301, 302` */
export function notSupported(what: string, area: Area, prefix = ''): string {
  return `${what} is not supported; supported: ${supported(area, prefix).join(', ')}`;
}

/** docs/support.md: every row of SUPPORT, by area. */
export function supportMarkdown(): string {
  const lines = [
    '# What Portico supports of the Gateway API',
    '',
    '<!-- Generated from operator/translate/support.ts by `npm run docs:support`; do not edit. -->',
    '',
    'The same table gives the GatewayClass its `status.supportedFeatures` (the "Feature" column',
    'of the supported rows) and the "supported: ..." hints in route and listener conditions.',
  ];
  const areas = [...new Set(SUPPORT.map((s) => s.area))];
  for (const area of areas) {
    lines.push('', `## ${area}`, '', '| Name | Supported | Feature | Note |', '| --- | --- | --- | --- |');
    for (const s of SUPPORT.filter((x) => x.area === area))
      lines.push(`| ${s.name} | ${s.supported ? 'yes' : 'not yet'} | ${s.feature ?? ''} | ${s.note ?? ''} |`);
  }
  return lines.join('\n') + '\n';
}

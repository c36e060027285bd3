// Portico's data-plane model: what the Envoys must do, free of Envoy field names.
// Produced by translate/, consumed by xds/. Deterministic: every array is sorted, so equal
// cluster snapshots give deep-equal IR. Fields are only ever added, never renamed.

/** The whole desired data plane, shared by every Envoy. */
export interface IR {
  /** HTTP and HTTPS listeners, sorted by name. */
  readonly httpListeners: readonly HttpListener[];
  /** TLS passthrough listeners (SNI routing, bytes untouched), sorted by name. */
  readonly tlsPassthroughListeners: readonly TlsPassthroughListener[];
  /** TCP listeners (TCPRoute), sorted by name. Absent means none. */
  readonly tcpListeners?: readonly L4Listener[];
  /** UDP listeners (UDPRoute), sorted by name. Absent means none. */
  readonly udpListeners?: readonly L4Listener[];
  /** Every cluster referenced by a route, sorted by name. */
  readonly clusters: readonly Cluster[];
}

/** Which Gateway a listener belongs to (for NACK and Programmed reporting). */
export interface GatewayRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * One bound socket: a Gateway address and port. All Gateway listeners of one Gateway on the
 * same port (distinct hostnames) are merged here. Listeners are emitted only for Gateways that
 * have an address; a Gateway with several addresses gets one listener per address.
 */
export interface HttpListener {
  /** Stable, unique: `<gateway namespace>/<gateway name>/<address>/<port>`. */
  readonly name: string;
  readonly gateway: GatewayRef;
  /** IP address to bind (IPv4 or IPv6). */
  readonly address: string;
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  /** HTTPS only: server certificates chosen by SNI, sorted by secret name. */
  readonly tls?: ListenerTls;
  /** Virtual hosts, one per distinct domain, sorted: exact hostnames, then wildcards, `*` last. */
  readonly virtualHosts: readonly VirtualHost[];
  /**
   * HTTPS only: one TLS filter chain per Gateway listener, picked by SNI, each with its own
   * routes (`virtualHosts` is then their union, without the 421 hosts). Sorted by name.
   */
  readonly chains?: readonly HttpsChain[];
  /** HTTPS only: client certificates are asked for and checked on every chain (Gateway tls.frontend). */
  readonly clientValidation?: ClientValidation;
}

/** Frontend (client) certificate validation of one Gateway port. */
export interface ClientValidation {
  /** Stable, unique: `<gateway namespace>/<gateway name>/<port>/client-ca`. */
  readonly name: string;
  /** PEM CA certificates the client's certificate must chain to. */
  readonly caPem: string;
  /** AllowInsecureFallback: a missing or untrusted client certificate is let through. */
  readonly allowInsecure: boolean;
}

/** One Gateway listener of an HTTPS port: its SNI names, certificates and routes. */
export interface HttpsChain {
  /** Stable, unique within the listener: the Gateway listener's name. */
  readonly name: string;
  /** SNI names (may contain a `*.` wildcard); empty means any SNI. */
  readonly sniHostnames: readonly string[];
  /** `TlsCertificate.secretName`s this chain presents, sorted. */
  readonly certificates: readonly string[];
  /** This listener's routes, and a 421 host for every other listener's hostname on the port. */
  readonly virtualHosts: readonly VirtualHost[];
}

export interface ListenerTls {
  readonly certificates: readonly TlsCertificate[];
}

/** A server certificate and the SNI names it serves. */
export interface TlsCertificate {
  /** Stable name of the certificate: `<secret namespace>/<secret name>`. */
  readonly secretName: string;
  /** SNI names this certificate answers (may contain `*.` wildcards); empty means any SNI. */
  readonly sniHostnames: readonly string[];
  /** PEM certificate chain (`tls.crt`). */
  readonly certPem: string;
  /** PEM private key (`tls.key`). */
  readonly keyPem: string;
}

export interface VirtualHost {
  /** Stable, unique within the listener: the domain itself (`*` for any). */
  readonly name: string;
  /** Host header values (`foo.example.com`, `*.example.com` or `*`). Port suffixes are the xDS layer's job. */
  readonly domains: readonly string[];
  /** In match precedence order: the first matching route wins. */
  readonly routes: readonly Route[];
}

export interface Route {
  /** Stable: `<route namespace>/<route name>/rule/<i>/match/<j>`. */
  readonly name: string;
  readonly match: HttpMatch;
  readonly action: HttpAction;
  /** Headers to set/add/remove on the request before it goes upstream. */
  readonly requestHeaders?: HeaderModifier;
  /** Headers to set/add/remove on the response. */
  readonly responseHeaders?: HeaderModifier;
  /** Forward actions only: rewrite of host and/or path before forwarding. */
  readonly urlRewrite?: UrlRewrite;
  /** Forward actions only: how long the upstream exchange may take, in ms. Absent: no limit. */
  readonly timeoutMs?: number;
  /** Forward actions only: copies of the request sent to other clusters, responses ignored. */
  readonly mirrors?: readonly Mirror[];
  /** Forward actions only: when a failed upstream request is tried again. */
  readonly retry?: RetryPolicy;
  /** Cross-origin requests: preflights answered here, allowed origins told so in responses. */
  readonly cors?: CorsPolicy;
}

/** The CORS filter. Lists keep the user's order; `*` means any (methods and headers: the requested ones). */
export interface CorsPolicy {
  /** `scheme://host[:port]` origins; a host may start with `*.` (one or more labels), or the whole is `*`. */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
  /** Seconds a preflight answer may be cached. */
  readonly maxAge: number;
}

/** HTTPRoute retry: connection failures and resets are always retried, these codes too. */
export interface RetryPolicy {
  /** Response codes (400-599) that are retried, sorted. */
  readonly statusCodes: readonly number[];
  /** Retries after the first attempt, at least 1. */
  readonly attempts: number;
  /** Minimum wait before a retry, in ms; absent: the data plane's default. */
  readonly backoffMs?: number;
  /** timeouts.backendRequest: the limit of each attempt, in ms; a timed-out attempt is retried. */
  readonly perTryTimeoutMs?: number;
}

/** RequestMirror: a copy of a share of the requests. */
export interface Mirror {
  /** A `Cluster.name` present in `IR.clusters`. */
  readonly cluster: string;
  /** Share of requests mirrored, in millionths: 1..1000000. */
  readonly perMillion: number;
}

export interface HttpMatch {
  /** Always present (the spec's default is PathPrefix `/`). PathPrefix matching is segment-aware. */
  readonly path: PathMatch;
  /** All must match. Sorted by name. Header names are lower-cased. */
  readonly headers: readonly HeaderMatch[];
  /** All must match. Sorted by name. */
  readonly queryParams: readonly QueryParamMatch[];
  /** Upper-case HTTP method, when set. */
  readonly method?: string;
}

export interface PathMatch {
  readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  readonly value: string;
}

export interface HeaderMatch {
  readonly type: 'Exact' | 'RegularExpression';
  readonly name: string;
  readonly value: string;
}

export interface QueryParamMatch {
  readonly type: 'Exact' | 'RegularExpression';
  readonly name: string;
  readonly value: string;
}

export type HttpAction = ForwardAction | DirectResponseAction | RedirectAction;

/** Send to upstream clusters, split by weight. Backends are sorted by cluster name; weights > 0. */
export interface ForwardAction {
  readonly type: 'Forward';
  readonly backends: readonly WeightedBackend[];
  /**
   * Summed weight of the rule's invalid backendRefs (missing Service, not permitted, wrong
   * kind). The spec wants that share of requests answered with 500; absent when 0.
   */
  readonly invalidWeight?: number;
}

/** Answer locally, e.g. 500 when all of a rule's backends are invalid or weigh 0. */
export interface DirectResponseAction {
  readonly type: 'DirectResponse';
  readonly status: number;
}

export interface RedirectAction {
  readonly type: 'Redirect';
  readonly scheme?: 'http' | 'https';
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: PathRewrite;
  /** 301, 302, 303, 307 or 308 (spec default 302). */
  readonly statusCode: number;
}

export interface WeightedBackend {
  /** A `Cluster.name` present in `IR.clusters`. */
  readonly cluster: string;
  /** > 0. Relative to the sum of the route's weights. */
  readonly weight: number;
  /** HTTP only, backendRefs[].filters: headers changed on requests to this backend, after the rule's. */
  readonly requestHeaders?: HeaderModifier;
  /** HTTP only, backendRefs[].filters: headers changed on this backend's responses. */
  readonly responseHeaders?: HeaderModifier;
}

export interface HeaderModifier {
  /** Replace or add, sorted by name. */
  readonly set: readonly HeaderValue[];
  /** Append, sorted by name. */
  readonly add: readonly HeaderValue[];
  /** Header names to remove, sorted. */
  readonly remove: readonly string[];
}

export interface HeaderValue {
  readonly name: string;
  readonly value: string;
}

export interface UrlRewrite {
  readonly hostname?: string;
  readonly path?: PathRewrite;
}

/** ReplacePrefixMatch only appears on routes whose path match is PathPrefix. */
export type PathRewrite =
  | { readonly type: 'ReplaceFullPath'; readonly value: string }
  | { readonly type: 'ReplacePrefixMatch'; readonly value: string };

/** TLS passthrough: pick a backend by the ClientHello's SNI, forward the raw TCP stream. */
export interface TlsPassthroughListener {
  /** Stable, unique: `<gateway namespace>/<gateway name>/<address>/<port>`. */
  readonly name: string;
  readonly gateway: GatewayRef;
  readonly address: string;
  readonly port: number;
  /** Sorted by name. An SNI that matches no route gets no backend (connection closed). */
  readonly routes: readonly SniRoute[];
  /** Mode Terminate: TLS ends here with these certificates; backends get the plain bytes (except passthrough routes). */
  readonly tls?: ListenerTls;
}

export interface SniRoute {
  /** Stable: `<route namespace>/<route name>/rule/0` (a route's rules share its SNI names). */
  readonly name: string;
  /** SNI names (may contain `*.` wildcards); never empty (`*` means any). */
  readonly sniHostnames: readonly string[];
  /** Sorted by cluster name; weights > 0. Empty means the route's backends are all invalid: reject. */
  readonly backends: readonly WeightedBackend[];
  /** On a listener with `tls` (a port mixing modes): this route's bytes pass through untouched. */
  readonly passthrough?: boolean;
}

/**
 * A TCP or UDP socket on a Gateway address and port: every connection (TCP) or datagram
 * session (UDP) goes to one route's backends, split by weight.
 */
export interface L4Listener {
  /** Stable, unique: `<gateway namespace>/<gateway name>/<address>/<port>`, plus `/udp` for UDP. */
  readonly name: string;
  readonly gateway: GatewayRef;
  readonly address: string;
  readonly port: number;
  /** The oldest attached route (a newer one on the same listener gets no traffic); absent: none. */
  readonly route?: L4Route;
}

export interface L4Route {
  /** Stable: `<route namespace>/<route name>/rule/0`. */
  readonly name: string;
  /** Sorted by cluster name; weights > 0. Empty means the route's backends are all invalid: reject. */
  readonly backends: readonly WeightedBackend[];
  /** On a listener with `tls` (a port mixing modes): this route's bytes pass through untouched. */
  readonly passthrough?: boolean;
}

/** One upstream: a Service port. */
export interface Cluster {
  /** Stable: `<namespace>/<service>/<port>` (the Service port number). */
  readonly name: string;
  readonly service: { readonly namespace: string; readonly name: string; readonly port: number };
  /** Ready endpoints only, sorted by address then port. May be empty. */
  readonly endpoints: readonly Endpoint[];
  /** HTTP2: cleartext HTTP/2 with prior knowledge (gRPC, appProtocol kubernetes.io/h2c). Absent: HTTP/1.1. */
  readonly protocol?: 'HTTP2';
  /** TLS to the backends (BackendTLSPolicy). Absent: plaintext. */
  readonly tls?: UpstreamTls;
}

/** How Envoy speaks TLS to a cluster's endpoints. */
export interface UpstreamTls {
  /** SNI sent to the backend (the policy's hostname). */
  readonly sni: string;
  /** PEM CA bundle that must sign the backend's certificate. */
  readonly caPem: string;
  /** The certificate must carry one of these (none: the SNI hostname), sorted. */
  readonly subjectAltNames: readonly SubjectAltName[];
  /** Its policy is invalid: connections must fail, so no endpoint is sent (requests get 503). */
  readonly refused?: boolean;
  /** The Gateway's client certificate (spec.tls.backend), presented to the backend. */
  readonly clientCertificate?: TlsCertificate;
}

export interface SubjectAltName {
  readonly type: 'Hostname' | 'URI';
  readonly value: string;
}

export interface Endpoint {
  readonly address: string;
  /** The resolved target port on the endpoint. */
  readonly port: number;
}

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { envoyProtoFiles, protoIncludeDirs } from './protos.ts';
import type { Cluster } from './generated/envoy/config/cluster/v3/Cluster.ts';
import type { ClusterLoadAssignment } from './generated/envoy/config/endpoint/v3/ClusterLoadAssignment.ts';
import type { Listener } from './generated/envoy/config/listener/v3/Listener.ts';
import type { RouteConfiguration } from './generated/envoy/config/route/v3/RouteConfiguration.ts';
import type { Route } from './generated/envoy/config/route/v3/Route.ts';
import type { VirtualHost } from './generated/envoy/config/route/v3/VirtualHost.ts';
import type { Secret } from './generated/envoy/extensions/transport_sockets/tls/v3/Secret.ts';
import type { HttpConnectionManager } from './generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.ts';
import type { Router } from './generated/envoy/extensions/filters/http/router/v3/Router.ts';
import type { TlsInspector } from './generated/envoy/extensions/filters/listener/tls_inspector/v3/TlsInspector.ts';
import type { TcpProxy } from './generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.ts';
import type { Config as DirectResponse } from './generated/envoy/extensions/filters/network/direct_response/v3/Config.ts';
import type { DownstreamTlsContext } from './generated/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.ts';
import type { UpstreamTlsContext } from './generated/envoy/extensions/transport_sockets/tls/v3/UpstreamTlsContext.ts';
import type { HttpProtocolOptions } from './generated/envoy/extensions/upstreams/http/v3/HttpProtocolOptions.ts';
import type { UdpProxyConfig } from './generated/envoy/extensions/filters/udp/udp_proxy/v3/UdpProxyConfig.ts';
import type { Route as UdpProxyRoute } from './generated/envoy/extensions/filters/udp/udp_proxy/v3/Route.ts';

/** Envoy message types Portico packs into `google.protobuf.Any`, by full protobuf name. */
export interface EnvoyMessages {
  'envoy.config.cluster.v3.Cluster': Cluster;
  'envoy.config.endpoint.v3.ClusterLoadAssignment': ClusterLoadAssignment;
  'envoy.config.listener.v3.Listener': Listener;
  'envoy.config.route.v3.RouteConfiguration': RouteConfiguration;
  'envoy.config.route.v3.VirtualHost': VirtualHost;
  'envoy.config.route.v3.Route': Route;
  'envoy.extensions.transport_sockets.tls.v3.Secret': Secret;
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager': HttpConnectionManager;
  'envoy.extensions.filters.http.router.v3.Router': Router;
  'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector': TlsInspector;
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy': TcpProxy;
  'envoy.extensions.filters.network.direct_response.v3.Config': DirectResponse;
  'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext': DownstreamTlsContext;
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext': UpstreamTlsContext;
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': HttpProtocolOptions;
  'envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig': UdpProxyConfig;
  'envoy.extensions.filters.udp.udp_proxy.v3.Route': UdpProxyRoute;
}
export type EnvoyMessageName = keyof EnvoyMessages;

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

const require = createRequire(import.meta.url);
// protobufjs ships google/protobuf/*.proto; the xds deps do not.
const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));

let root: protobuf.Root | undefined;

/** The Envoy protobuf schema (loaded once, ~0.1-0.3 s). Field names keep proto case (snake_case). */
export function envoyRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of [...protoIncludeDirs, protobufjsDir]) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  r.loadSync([...envoyProtoFiles], { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

const types = new Map<string, protobuf.Type>();
function lookup(name: string): protobuf.Type {
  let t = types.get(name);
  if (!t) {
    t = envoyRoot().lookupType(name);
    types.set(name, t);
  }
  return t;
}

/** Encodes an Envoy message (a typed object literal) to protobuf bytes. */
export function encodeMessage<N extends EnvoyMessageName>(name: N, message: EnvoyMessages[N]): Uint8Array {
  const t = lookup(name);
  return t.encode(t.fromObject(message as Record<string, unknown>)).finish();
}

// Field numbers of the repeated messages a RouteConfiguration is made of (route_components.proto).
const VIRTUAL_HOSTS = 2;
const ROUTES = 3;
const routeBytes = new WeakMap<Route, Uint8Array>();

/**
 * Encodes a RouteConfiguration with each Route's bytes cached by object: one changed route of
 * 1,000 costs one route's encoding. Virtual hosts and routes come after the other fields, which
 * protobuf parsers accept in any order; equal content gives equal bytes.
 */
export function encodeRouteConfiguration(config: RouteConfiguration): Uint8Array {
  const { virtual_hosts: hosts = [], ...head } = config;
  const out: Uint8Array[] = [encodeMessage('envoy.config.route.v3.RouteConfiguration', head)];
  for (const { routes = [], ...vh } of hosts) {
    const tail = protobuf.Writer.create();
    for (const r of routes) {
      let bytes = routeBytes.get(r);
      if (!bytes) routeBytes.set(r, (bytes = ownCopy(encodeMessage('envoy.config.route.v3.Route', r))));
      tail.uint32((ROUTES << 3) | 2).bytes(bytes);
    }
    const host = Buffer.concat([encodeMessage('envoy.config.route.v3.VirtualHost', vh), tail.finish()]);
    out.push(
      protobuf.Writer.create()
        .uint32((VIRTUAL_HOSTS << 3) | 2)
        .bytes(host)
        .finish(),
    );
  }
  return Buffer.concat(out);
}

/**
 * The bytes in an ArrayBuffer of their own. A small Buffer is a slice of an 8 KiB pool, which it
 * keeps alive: 10,000 cached routes kept 70 MiB of pools (external memory).
 */
function ownCopy(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** A packed `google.protobuf.Any` (assignable to the generated `Any`). */
export interface PackedAny {
  type_url: string;
  value: Buffer;
}

/** Packs an Envoy message into `google.protobuf.Any`, as typed_config and xDS resources need. */
export function pack<N extends EnvoyMessageName>(name: N, message: EnvoyMessages[N]): PackedAny {
  const bytes =
    name === 'envoy.config.route.v3.RouteConfiguration'
      ? encodeRouteConfiguration(message as RouteConfiguration)
      : encodeMessage(name, message);
  return { type_url: TYPE_URL_PREFIX + name, value: Buffer.from(bytes) };
}

/** Decodes bytes of any loaded message type to a plain object (enums and 64-bit ints as strings). */
export function decodeMessage(name: string, bytes: Uint8Array): Record<string, unknown> {
  const t = lookup(name);
  return t.toObject(t.decode(bytes), { enums: String, longs: String, bytes: String });
}

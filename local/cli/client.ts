import http from 'node:http';
import https from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** What curl would show: status, headers, body, and for TLS the certificate the server presented. */
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly peerCertificate?: PeerCertificate;
}

export interface RequestOptions {
  /** Host header (and SNI for HTTPS), like curl's --resolve name. */
  host?: string;
  method?: string;
  headers?: Record<string, string>;
  /** HTTPS: the CA to trust (the client verifies the chain and the name). */
  ca?: string;
  /** Reuse connections (default: a fresh connection per request, like a curl loop). */
  agent?: http.Agent;
  timeoutMs?: number;
}

/** One request to `address:port` (a Gateway VIP on loopback), as `curl --resolve host:port:address`. */
export function request(
  scheme: 'http' | 'https',
  address: string,
  port: number,
  path: string,
  opts: RequestOptions = {},
): Promise<Reply> {
  const lib = scheme === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: address,
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { ...(opts.host ? { host: opts.host } : {}), ...opts.headers },
        agent: opts.agent ?? false,
        timeout: opts.timeoutMs ?? 5000,
        ...(scheme === 'https' ? { servername: opts.host, ca: opts.ca } : {}),
      },
      (res) => {
        const peerCertificate =
          scheme === 'https' ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peerCertificate }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Sends `n` requests one by one and counts replies by `key(reply)`, like `grep | sort | uniq -c`. */
export async function tally(
  n: number,
  send: () => Promise<Reply>,
  key: (r: Reply) => string,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = key(await send());
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** The echo servers' "Hostname: echo-N" line. */
export const echoHost = (r: Reply) => /Hostname: (\S+)/.exec(r.body)?.[1] ?? `HTTP ${r.status}`;

/**
 * Bounds for a count of `n` Bernoulli(p) trials: mean +- 5 standard deviations of the binomial
 * distribution, so a correct split fails with probability below 1e-6.
 */
export function binomialBounds(n: number, p: number): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [Math.max(0, Math.floor(n * p - 5 * sd)), Math.min(n, Math.ceil(n * p + 5 * sd))];
}

// A small JSON client over node:https: one code path for core, CRDs, subresources and patches,
// with the API server's own error message kept (client-node 1.4 wraps it in a long dump).
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** An API server error: `code` is the HTTP status, `reason` the Status reason (Conflict, Expired ...). */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    /** Seconds from a Retry-After header (429 Too Many Requests, some 5xx), if any. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export function isKubeError(err: unknown, code?: number): err is KubeError {
  return err instanceof KubeError && (code === undefined || err.code === code);
}

export type PatchType = 'apply' | 'merge' | 'json';
const CONTENT_TYPE: Record<PatchType, string> = {
  apply: 'application/apply-patch+yaml',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  patchType?: PatchType;
  timeoutMs?: number;
}

export class KubeClient {
  private agent: https.Agent | undefined;

  constructor(readonly kc: KubeConfig) {}

  get server(): string {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return cluster.server;
  }

  async request<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const o: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(o);
    // One keep-alive agent for every request instead of client-node's agent per call.
    this.agent ??= new https.Agent({
      keepAlive: true,
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      rejectUnauthorized: o.rejectUnauthorized,
    });
    const headers: Record<string, string> = {
      ...(o.headers as Record<string, string>),
      accept: 'application/json',
    };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = opts.patchType ? CONTENT_TYPE[opts.patchType] : 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        url,
        { method: opts.method ?? 'GET', headers, agent: this.agent, timeout: opts.timeoutMs ?? 30000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            if (status >= 200 && status < 300) return resolve(json as T);
            const s = (json ?? {}) as { message?: string; reason?: string };
            const retryAfter = Number(res.headers['retry-after']);
            reject(
              new KubeError(
                status,
                s.reason ?? '',
                `${opts.method ?? 'GET'} ${path}: ${status} ${s.message ?? text.slice(0, 200)}`,
                Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
              ),
            );
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${path}: timeout`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  close(): void {
    this.agent?.destroy();
  }
}

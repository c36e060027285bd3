// A small JSON client over node:https: one code path for core, CRDs, subresources, patches and
// watches, with the API server's own error message kept (client-node 1.4 wraps it in a long dump).
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { ClusterAccess } from './config.ts';

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

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  patchType?: PatchType;
  timeoutMs?: number;
}

/** One line of a watch stream: `object` is the changed object, or a Status for ERROR. */
export interface WatchEvent {
  type: string;
  object: unknown;
}

export interface WatchStream {
  /** Resolves when the server ends the stream or `abort()` is called; rejects on a failed request. */
  readonly done: Promise<void>;
  abort(): void;
}

export class KubeClient {
  private agent: https.Agent | undefined;

  constructor(readonly kc: ClusterAccess) {}

  get server(): string {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return cluster.server;
  }

  async request<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
    const method = opts.method ?? 'GET';
    const { url, headers } = await this.prepare(path, opts.query);
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = opts.patchType ? CONTENT_TYPE[opts.patchType] : 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        url,
        { method, headers, agent: this.agent, timeout: opts.timeoutMs ?? 30000 },
        (res) => {
          readBody(res)
            .then((text) => {
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) return resolve(parseJson(text) as T);
              reject(kubeError(method, path, status, text, res.headers['retry-after']));
            })
            .catch(reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * Watches a collection: each event line goes to `onEvent`. A refused watch (410 Gone for an
   * expired resourceVersion among them) rejects `done` with a KubeError. A stream silent for
   * `idleMs` (the server sends bookmarks, and ends the watch at timeoutSeconds) is cut.
   */
  watch(path: string, query: Query, onEvent: (e: WatchEvent) => void, idleMs = 120000): WatchStream {
    let req: ReturnType<typeof https.request> | undefined;
    let aborted = false;
    const done = (async () => {
      const { url, headers } = await this.prepare(path, { ...query, watch: true });
      if (aborted) return;
      await new Promise<void>((resolve, reject) => {
        req = https.request(url, { headers, agent: this.agent, timeout: idleMs }, (res) => {
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            readBody(res)
              .then((text) => reject(kubeError('WATCH', path, status, text)))
              .catch(reject);
            return;
          }
          let rest = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const lines = (rest + chunk).split('\n');
            rest = lines.pop() ?? '';
            for (const line of lines) {
              const e = parseJson(line) as WatchEvent | undefined;
              if (e?.type) onEvent(e);
            }
          });
          res.on('error', (err) => (aborted ? resolve() : reject(err)));
          // A stream cut mid-way (no final chunk) is a broken connection, not the server's end.
          res.on('close', () =>
            res.complete || aborted ? resolve() : reject(new Error(`WATCH ${path}: connection lost`)),
          );
        });
        req.on('timeout', () => req?.destroy(new Error(`WATCH ${path}: no data for ${idleMs} ms`)));
        req.on('error', (err) => (aborted ? resolve() : reject(err)));
        req.end();
      });
    })();
    return {
      done,
      abort: () => {
        aborted = true;
        req?.destroy();
      },
    };
  }

  close(): void {
    this.agent?.destroy();
  }

  private async prepare(path: string, query: Query = {}) {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
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
    return { url, headers };
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function kubeError(
  method: string,
  path: string,
  status: number,
  text: string,
  retryAfterHeader?: string | string[],
): KubeError {
  const s = (parseJson(text) ?? {}) as { message?: string; reason?: string };
  const retryAfter = Number(retryAfterHeader);
  return new KubeError(
    status,
    s.reason ?? '',
    `${method} ${path}: ${status} ${s.message ?? text.slice(0, 200)}`,
    retryAfterHeader !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
  );
}

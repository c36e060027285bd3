import {
  ApiextensionsV1Api,
  HttpMethod,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../common/process.ts';

/** Cluster-wide kinds that others depend on go first. */
const FIRST = ['CustomResourceDefinition', 'Namespace'];

export function parseManifests(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => !!o && typeof o === 'object' && !!o.kind);
}

/**
 * Server-side apply that sends the object as it is. The client's own patch() re-serializes known
 * kinds through its models, which drops fields they do not map (a CRD loses most of its
 * `x-kubernetes-validations` and `default`s); its discovery and auth are reused.
 */
export class RawApplyApi extends KubernetesObjectApi {
  async apply<T extends KubernetesObject>(obj: T, fieldManager: string, force = true): Promise<T> {
    const ctx = this.configuration.baseServer.makeRequestContext(
      await this.specUriPath(obj, 'patch'),
      HttpMethod.PATCH,
    );
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    ctx.setQueryParam('fieldManager', fieldManager);
    if (force) ctx.setQueryParam('force', 'true');
    ctx.setBody(JSON.stringify(obj));
    return this.requestPromise<T>(ctx);
  }
}

/**
 * Server-side-applies every document in `text`: CRDs and Namespaces first (waiting for CRDs to be
 * Established before the rest). Returns the names of the CRDs it applied.
 */
export async function applyManifests(kc: KubeConfig, text: string, fieldManager: string): Promise<string[]> {
  const objects = parseManifests(text);
  const first = objects.filter((o) => FIRST.includes(o.kind!));
  const rest = objects.filter((o) => !FIRST.includes(o.kind!));
  const crds = first.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata!.name!);
  const api = kc.makeApiClient(RawApplyApi);
  for (const o of first) await applyOne(api, o, fieldManager);
  await waitForCrds(kc, crds, 60000);
  // A fresh client: the first one may have cached API discovery from before the CRDs existed.
  const api2 = kc.makeApiClient(RawApplyApi);
  for (const o of rest) await applyOne(api2, o, fieldManager);
  return crds;
}

async function applyOne(api: RawApplyApi, o: KubernetesObject, fieldManager: string): Promise<void> {
  try {
    await api.apply(o, fieldManager);
  } catch (err) {
    const what = `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
    throw new Error(`apply ${what}: ${describeApiError(err)}`);
  }
}

export async function waitForCrds(kc: KubeConfig, names: string[], timeoutMs: number): Promise<void> {
  if (names.length === 0) return;
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const name of names) {
    await waitFor(
      `CRD ${name} Established`,
      async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return !!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { timeoutMs },
    );
  }
}

/** The API server's own message from a client-node error, not its whole HTTP dump. */
export function describeApiError(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (e && typeof e.body === 'string') {
    try {
      const status = JSON.parse(e.body) as { message?: string };
      if (status.message) return `${e.code ?? ''} ${status.message}`.trim();
    } catch {
      /* not JSON */
    }
  }
  return e?.message?.split('\n')[0] ?? String(err);
}

import { request } from '../local/cli/client.ts';

/** Sends requests one after another until stopped; counts what failed and when. */
export function steadyClient(address: string, path: string) {
  let running = true;
  const result = { ok: 0, failed: 0, firstFailure: 0, lastFailure: 0, errors: new Map<string, number>() };
  const done = (async () => {
    while (running) {
      const r = await request('http', address, 80, path, { timeoutMs: 2000 }).catch((e: Error) => ({
        status: 0,
        body: e.message,
      }));
      if (r.status === 200) result.ok++;
      else {
        const now = Date.now();
        result.failed++;
        result.firstFailure ||= now;
        result.lastFailure = now;
        const why = r.status ? `HTTP ${r.status}` : r.body.split('\n')[0]!;
        result.errors.set(why, (result.errors.get(why) ?? 0) + 1);
      }
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return result;
    },
  };
}

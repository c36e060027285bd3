// `portico logs`: host components' logs from the files `portico up` writes under the state
// directory; Portico's pods' (operator, Envoy, agent, CoreDNS) through the API, as kubectl logs.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CoreV1Api, KubeConfig, Log } from '@kubernetes/client-node';
import { UsageError } from './errors.ts';
import { homeDir, readState } from './state.ts';

/** Where `portico up` writes each host process's output (kept after `portico down`). */
export const logsDir = () => path.join(homeDir(), 'logs');

/** Pod components: namespace and pod name prefix. */
const PODS: Record<string, { namespace: string; prefix: string }> = {
  operator: { namespace: 'portico-system', prefix: 'portico-operator-' },
  envoy: { namespace: 'portico-system', prefix: 'portico-envoy-' },
  agent: { namespace: 'portico-system', prefix: 'portico-agent-' },
  coredns: { namespace: 'kube-system', prefix: 'coredns-' },
};
/** Short names for host components (files are named after the process). */
const ALIASES: Record<string, string> = {
  apiserver: 'kube-apiserver',
  'controller-manager': 'kube-controller-manager',
  scheduler: 'kube-scheduler',
  proxy: 'kube-proxy',
};

/** The host components with a log file: "etcd", "kube-apiserver", "kubelet" (one file per node) ... */
function fileComponents(): Map<string, string[]> {
  const nodes = (readState()?.nodes ?? []).map((n) => n.name);
  const out = new Map<string, string[]>();
  const files = fs.existsSync(logsDir()) ? fs.readdirSync(logsDir()).filter((f) => f.endsWith('.log')) : [];
  for (const f of files.sort()) {
    const base = f.slice(0, -'.log'.length);
    const node = nodes.find((n) => base.startsWith(`${n}-`));
    const name = node ? base.slice(node.length + 1) : base;
    out.set(name, [...(out.get(name) ?? []), f]);
  }
  return out;
}

export function logComponents(): string[] {
  return [...new Set([...Object.keys(PODS), ...fileComponents().keys()])].sort();
}

/** Prints a component's logs (every node's, each line prefixed when there are several); -f follows. */
export async function printLogs(component: string, follow: boolean): Promise<void> {
  const name = ALIASES[component] ?? component;
  const pods = PODS[name];
  if (pods) return podLogs(pods.namespace, pods.prefix, follow);
  const files = fileComponents().get(name);
  if (!files) {
    throw new UsageError(
      `no logs for "${component}"; components: ${logComponents().join(', ')} (host logs are in ${logsDir()})`,
    );
  }
  // portico-worker-kubelet.log -> [portico-worker]
  const prefix = (f: string) => (files.length > 1 ? `[${f.slice(0, -`-${name}.log`.length)}] ` : '');
  const offsets = new Map(files.map((f) => [f, 0]));
  const drain = () => {
    for (const f of files) {
      const text = readFrom(path.join(logsDir(), f), offsets.get(f)!);
      const end = text.lastIndexOf('\n') + 1; // whole lines only; the rest comes next round
      if (end === 0) continue;
      offsets.set(f, offsets.get(f)! + Buffer.byteLength(text.slice(0, end)));
      for (const line of text.slice(0, end - 1).split('\n')) process.stdout.write(`${prefix(f)}${line}\n`);
    }
  };
  drain();
  if (!follow) return;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    drain();
  }
}

function readFrom(file: string, offset: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    return buf.toString();
  } finally {
    fs.closeSync(fd);
  }
}

async function podLogs(namespace: string, prefix: string, follow: boolean): Promise<void> {
  const state = readState();
  if (!state?.ready) throw new UsageError('no cluster is up: pod logs come from its API server');
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfigPath);
  const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace })).items.filter((p) =>
    p.metadata?.name?.startsWith(prefix),
  );
  if (pods.length === 0) throw new Error(`no pod ${prefix}* in namespace ${namespace}`);
  const many = pods.length > 1;
  const streams = pods.map(async (p) => {
    const pod = p.metadata!.name!;
    const tag = many ? `[${pod} on ${p.spec?.nodeName}] ` : '';
    let rest = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop()!;
        for (const l of lines) process.stdout.write(`${tag}${l}\n`);
        done();
      },
      final(done) {
        if (rest) process.stdout.write(`${tag}${rest}\n`);
        done();
      },
    });
    const finished = new Promise<void>((resolve) => out.on('finish', resolve));
    await new Log(kc).log(namespace, pod, p.spec!.containers[0]!.name, out, { follow });
    await finished;
  });
  await Promise.all(streams);
}

// The operator process: flags, logs, metrics/health endpoints, the xDS server and the loop.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Controller } from './controller/controller.ts';
import { ipamAllocator, type LbAllocator } from './controller/lb-status.ts';
import { rfc3339Now } from './controller/reconciler.ts';
import { AckReports } from './controller/ack-reports.ts';
import { AdsSink } from './controller/xds-sink.ts';
import { createMetrics } from './metrics.ts';
import { CONTROLLER_NAME } from './translate/types.ts';
import { certgenMain } from './certgen/certgen.ts';
import { loadClusterAccess } from './kube/config.ts';
import { AdsServer, type XdsTlsFiles } from './xds/server.ts';
import { startIdleGc, type GcFunction } from './idle-gc.ts';

const HELP = `portico operator [certgen --help]

  --kubeconfig PATH          kubeconfig (default: $KUBECONFIG, then in-cluster)
  --controller-name NAME     GatewayClass controllerName to serve (only ${CONTROLLER_NAME})
  --metrics-address ADDR     /metrics, /healthz, /readyz address (default 0.0.0.0)
  --metrics-port PORT        (default 8080)
  --xds-address ADDR         ADS gRPC address (default 0.0.0.0)
  --xds-port PORT            (default 18000; -1 disables xDS)
  --xds-tls-dir DIR          xDS mutual TLS: tls.crt, tls.key (the server's) and ca.crt (signs Envoy's
                             client certificates); re-read every minute (default /etc/portico/xds-tls)
  --insecure-xds-plaintext-loopback
                             serve xDS as plain text, for the host-process test harness only: refused
                             unless --xds-address is a loopback address. Never in a cluster.
  --leader-election-id NAME  Lease name (default portico-operator; "" disables leader election)
  --leader-election-namespace NS  (default $POD_NAMESPACE or portico-system)
  --identity ID              this replica's Lease identity (default hostname-pid)
  --lease-duration-ms N      (default 15000)
  --resync-ms N              periodic reconcile (default 60000)
  --log-level LEVEL          (default info)
`;

export interface OperatorFlags {
  kubeconfig?: string;
  metricsAddress: string;
  metricsPort: number;
  xdsAddress: string;
  xdsPort: number;
  /** Folder with the xDS server certificate, key and client CA; unused with xdsPlaintextLoopback. */
  xdsTlsDir: string;
  xdsPlaintextLoopback: boolean;
  leaderElectionId: string;
  leaderElectionNamespace: string;
  identity: string;
  leaseDurationMs: number;
  resyncMs: number;
  logLevel: string;
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): OperatorFlags {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      'controller-name': { type: 'string', default: CONTROLLER_NAME },
      'metrics-address': { type: 'string', default: '0.0.0.0' },
      'metrics-port': { type: 'string', default: '8080' },
      'xds-address': { type: 'string', default: '0.0.0.0' },
      'xds-port': { type: 'string', default: '18000' },
      'xds-tls-dir': { type: 'string', default: '/etc/portico/xds-tls' },
      'insecure-xds-plaintext-loopback': { type: 'boolean', default: false },
      'leader-election-id': { type: 'string', default: 'portico-operator' },
      'leader-election-namespace': { type: 'string', default: env.POD_NAMESPACE ?? 'portico-system' },
      identity: { type: 'string', default: `${os.hostname()}-${process.pid}` },
      'lease-duration-ms': { type: 'string', default: '15000' },
      'resync-ms': { type: 'string', default: '60000' },
      'log-level': { type: 'string', default: env.LOG_LEVEL ?? 'info' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  if (values['controller-name'] !== CONTROLLER_NAME) {
    throw new Error(
      `--controller-name: only "${CONTROLLER_NAME}" is served, got "${values['controller-name']}"`,
    );
  }
  const int = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`--${name}: expected an integer, got "${v}"`);
    return n;
  };
  return {
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    metricsAddress: values['metrics-address'],
    metricsPort: int('metrics-port', values['metrics-port']),
    xdsAddress: values['xds-address'],
    xdsPort: int('xds-port', values['xds-port']),
    xdsTlsDir: values['xds-tls-dir'],
    xdsPlaintextLoopback: values['insecure-xds-plaintext-loopback'],
    leaderElectionId: values['leader-election-id'],
    leaderElectionNamespace: values['leader-election-namespace'],
    identity: values.identity,
    leaseDurationMs: int('lease-duration-ms', values['lease-duration-ms']),
    resyncMs: int('resync-ms', values['resync-ms']),
    logLevel: values['log-level'],
  };
}

/** The mounted xDS Secret's files, or an error that says where they should come from. */
export function xdsTlsFiles(dir: string): XdsTlsFiles {
  const files = {
    certFile: path.join(dir, 'tls.crt'),
    keyFile: path.join(dir, 'tls.key'),
    caFile: path.join(dir, 'ca.crt'),
  };
  const missing = Object.values(files).filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `--xds-tls-dir: missing ${missing.join(', ')}: mount the xDS server Secret made by \`certgen\` there`,
    );
  }
  return files;
}

export interface RunningOperator {
  controller: Controller;
  metricsPort: number;
  xdsPort: number | undefined;
  stop(): Promise<void>;
}

/** Starts everything; also used in-process by tests. */
export async function runOperator(
  flags: OperatorFlags,
  allocate: LbAllocator = ipamAllocator(rfc3339Now),
): Promise<RunningOperator> {
  const logger = pino({ name: 'portico', level: flags.logLevel });
  const kc = loadClusterAccess(flags.kubeconfig);
  const registry = new Registry();
  const metrics = createMetrics(registry);

  let ads: AdsServer | undefined;
  let sink: AdsSink | undefined;
  let xdsPort: number | undefined;
  if (flags.xdsPort >= 0) {
    ads = new AdsServer({ logger: logger.child({ component: 'xds' }) });
    xdsPort = flags.xdsPlaintextLoopback
      ? await ads.listenPlaintextLoopback(flags.xdsAddress, flags.xdsPort)
      : await ads.listen(flags.xdsAddress, flags.xdsPort, xdsTlsFiles(flags.xdsTlsDir));
    sink = new AdsSink(ads);
  }
  const controller = new Controller({
    kubeConfig: kc,
    logger,
    metrics,
    lease: flags.leaderElectionId
      ? {
          namespace: flags.leaderElectionNamespace,
          name: flags.leaderElectionId,
          identity: flags.identity,
          durationMs: flags.leaseDurationMs,
          retryMs: Math.max(200, Math.floor(flags.leaseDurationMs / 5)),
        }
      : undefined,
    allocate,
    xds: sink,
    endpoints: sink,
    resyncMs: flags.resyncMs,
  });
  // With several replicas, each publishes what its Envoys run and reads the others' reports.
  const reports =
    sink && flags.leaderElectionId
      ? new AckReports(controller.client, {
          namespace: flags.leaderElectionNamespace,
          identity: flags.identity,
          durationMs: flags.leaseDurationMs,
          logger: logger.child({ component: 'xds-reports' }),
          local: () => sink.local(),
          onChange: () => controller.enqueue(),
          isLeader: () => controller.isLeader,
        })
      : undefined;
  if (sink && reports) sink.remote = () => reports.remote();
  // Programmed follows what the Envoys run: any of these may flip a Gateway's condition.
  // An apply that moves no Gateway (an endpoints-only push) changes nothing to count.
  const changed = () => {
    controller.enqueue();
    reports?.changed();
  };
  ads?.on('applied', (e) => {
    if (sink?.appliedMatters(e.nodeId) ?? true) changed();
  });
  for (const e of ['nack', 'connect', 'disconnect'] as const) ads?.on(e, changed);

  const merged = ads ? Registry.merge([registry, ads.registry]) : registry;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      merged
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': merged.contentType }).end(text))
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
    } else if (path === '/healthz') {
      res.writeHead(200).end('ok\n');
    } else if (path === '/readyz') {
      const ok = controller.ready;
      res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : 'caches not synced\n');
    } else {
      res.writeHead(404).end();
    }
  });
  const metricsPort = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(flags.metricsPort, flags.metricsAddress, () =>
      resolve((server.address() as { port: number }).port),
    );
  });
  logger.info({ metricsPort, xdsPort, identity: flags.identity }, 'portico operator listening');
  void controller.start().catch((err: unknown) => logger.error({ err: String(err) }, 'start failed'));
  reports?.start();
  // With --expose-gc (the image's NODE_OPTIONS): give back the heap a busy period left behind.
  const stopIdleGc = startIdleGc(globalThis.gc as GcFunction | undefined, (type, pauseMs) =>
    logger.info({ type, pauseMs: Math.round(pauseMs) }, 'idle collection'),
  );

  return {
    controller,
    metricsPort,
    xdsPort,
    async stop() {
      stopIdleGc();
      await reports?.stop();
      await controller.stop();
      await ads?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'certgen') {
    await certgenMain(argv.slice(1), pino({ name: 'portico-certgen' }));
    return;
  }
  const flags = parseFlags(argv);
  const op = await runOperator(flags);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    op.controller.cache.stop();
    void op.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(1), 10000).unref();
    op.controller.log.info({ signal }, 'shutting down');
  };
  // Never exit on a stray rejection from a library callback: log it and keep reconciling.
  process.on('unhandledRejection', (err) =>
    op.controller.log.error({ err: String(err) }, 'unhandled rejection'),
  );
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`portico: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

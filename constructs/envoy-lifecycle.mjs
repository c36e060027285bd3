// The Envoy pod's lifecycle helper, run with node by a second container of each Envoy pod (the
// operator image). Envoy's admin interface is a unix socket in the pod's own folder, because during
// a surge rollout two Envoy pods share the node's ports; this script is what reaches it.
//
//   node envoy-lifecycle.mjs ready SOCKET        exit 0 if Envoy is LIVE (the readiness probe)
//   node envoy-lifecycle.mjs run SOCKET SECONDS  wait; on SIGTERM stop Envoy accepting, wait up to
//                                                SECONDS for its connections to finish, exit
import http from 'node:http';

const [mode, socketPath, seconds] = process.argv.slice(2);

function admin(method, path) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`admin ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** Open downstream connections on Envoy's listeners (the admin interface is not one of them). */
async function openConnections() {
  const { body } = await admin('GET', '/stats?filter=^listener\\..*\\.downstream_cx_active$');
  return body
    .split('\n')
    .filter((l) => l.startsWith('listener.') && !l.startsWith('listener.admin.') && !l.includes('.worker_'))
    .reduce((n, l) => n + Number(l.split(': ')[1] ?? 0), 0);
}

const log = (msg, extra = {}) =>
  process.stdout.write(`${JSON.stringify({ time: Date.now(), msg, ...extra })}\n`);

/**
 * Fails Envoy's health check (HTTP/1 replies get `connection: close`, HTTP/2 a GOAWAY), stops its
 * listeners (the new pod's Envoy, bound with SO_REUSEPORT, takes every new connection), and waits
 * until what it still serves is done.
 */
async function drain(limitMs) {
  const deadline = Date.now() + limitMs;
  await admin('POST', '/healthcheck/fail');
  await admin('POST', '/drain_listeners');
  let open = await openConnections();
  log('listeners stopped', { open });
  while (open > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    open = await openConnections();
  }
  log('drained', { open });
}

if (mode === 'ready') {
  const ok = await admin('GET', '/ready').then(
    (r) => r.status === 200,
    () => false,
  );
  process.exit(ok ? 0 : 1);
} else if (mode === 'run') {
  const limitMs = Number(seconds) * 1000;
  const keepAlive = setInterval(() => {}, 1 << 30);
  process.once('SIGTERM', () => {
    drain(limitMs)
      .catch((err) => log('drain failed', { error: String(err) }))
      .finally(() => {
        clearInterval(keepAlive);
        process.exit(0);
      });
  });
  log('waiting', { socketPath, drainSeconds: Number(seconds) });
} else {
  process.stderr.write('usage: envoy-lifecycle.mjs ready SOCKET | run SOCKET SECONDS\n');
  process.exit(2);
}

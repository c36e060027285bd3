import fs from 'node:fs';
import net from 'node:net';
import { freePort } from './process.ts';

const ephemeralLow = Number(
  fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
);

it('freePort gives ports below the kernel ephemeral range that can be listened on', async () => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(20000);
    expect(port).toBeLessThan(ephemeralLow);
  }
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(ports[0], '127.0.0.1', resolve);
  });
  await new Promise((resolve) => srv.close(resolve));
});

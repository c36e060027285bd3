import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { toolchainPaths } from '../local/toolchain/paths.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';

const run = promisify(execFile);

async function validate(config: Record<string, unknown>): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-bootstrap-'));
  try {
    const file = path.join(dir, 'bootstrap.json');
    fs.writeFileSync(file, JSON.stringify(config));
    const { stdout, stderr } = await run(toolchainPaths().envoy, ['--mode', 'validate', '-c', file]);
    return stdout + stderr;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('bootstrap accepted by the real Envoy', () => {
  it.each([
    ['IP address', { xdsAddress: '127.0.0.1', xdsPort: 18000 }],
    [
      'DNS name',
      { xdsAddress: 'portico-xds.portico-system.svc.cluster.local', xdsPort: 18000, leanStats: false },
    ],
  ])('validates with %s', async (_name, opts) => {
    expect(await validate(renderBootstrap(opts))).toContain('OK');
  });

  it('rejects a broken bootstrap (the check can fail)', async () => {
    const bad = { ...renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 18000 }), bogus_field: 1 };
    await expect(validate(bad)).rejects.toThrow();
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { list, type ReadEntry } from 'tar';
import { normalizeEntries, writeLayer, writeTar, type LayerEntry } from './tar.ts';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-tar-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function tarBytes(entries: LayerEntry[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeTar(entries, out);
  return Buffer.concat(chunks);
}

describe('normalizeEntries', () => {
  it('adds parent directories and sorts by path', () => {
    const out = normalizeEntries([
      { type: 'file', path: '/usr/local/bin/node', mode: 0o755, content: 'x' },
      { type: 'dir', path: '/tmp', mode: 0o1777 },
    ]);
    expect(out.map((e) => e.path)).toEqual([
      '/tmp',
      '/usr',
      '/usr/local',
      '/usr/local/bin',
      '/usr/local/bin/node',
    ]);
  });

  it('accepts a repeated identical entry and rejects a conflicting one', () => {
    const a: LayerEntry = { type: 'file', path: '/etc/x', mode: 0o644, content: 'a' };
    expect(normalizeEntries([a, { ...a }])).toHaveLength(2);
    expect(() => normalizeEntries([a, { ...a, content: 'b' }])).toThrow('/etc/x given twice');
    expect(() => normalizeEntries([{ ...a, path: 'etc/x' }])).toThrow('must be absolute');
  });
});

describe('writeTar', () => {
  it('depends only on contents: not on entry order, host mtimes or host modes', async () => {
    const src = path.join(dir, 'src');
    fs.writeFileSync(src, 'hello');
    const entries = (): LayerEntry[] => [
      { type: 'file', path: '/a/file', mode: 0o640, source: src, uid: 65532, gid: 65532 },
      { type: 'symlink', path: '/a/link', target: 'file' },
      { type: 'dir', path: '/tmp', mode: 0o1777 },
      { type: 'file', path: `/deep/${'x'.repeat(150)}/f`, mode: 0o644, content: 'long path' },
    ];
    const first = await tarBytes(entries());
    fs.utimesSync(src, new Date(), new Date(2000, 1, 1));
    fs.chmodSync(src, 0o600);
    const second = await tarBytes(entries().reverse());
    expect(second.equals(first)).toBe(true);
  });

  it('writes fixed owners, modes and mtimes', async () => {
    const file = path.join(dir, 'layer.tar');
    await writeLayer(
      [
        { type: 'dir', path: '/tmp', mode: 0o1777 },
        { type: 'file', path: '/home/nonroot/x', mode: 0o600, content: 'x', uid: 65532, gid: 65532 },
        { type: 'symlink', path: '/bin', target: 'usr/bin' },
      ],
      file,
      false,
    );
    const seen: Record<string, [string, number, number | undefined, number | undefined, number]> = {};
    await list({
      file,
      onReadEntry: (e: ReadEntry) => {
        seen[e.path] = [e.type, e.mode ?? -1, e.uid, e.gid, e.mtime?.getTime() ?? -1];
      },
    });
    expect(seen).toEqual({
      bin: ['SymbolicLink', 0o777, 0, 0, 0],
      'home/': ['Directory', 0o755, 0, 0, 0],
      'home/nonroot/': ['Directory', 0o755, 0, 0, 0],
      'home/nonroot/x': ['File', 0o600, 65532, 65532, 0],
      'tmp/': ['Directory', 0o1777, 0, 0, 0],
    });
  });

  it('gzips deterministically and reports the uncompressed digest as diffId', async () => {
    const entries: LayerEntry[] = [{ type: 'file', path: '/f', mode: 0o644, content: 'x'.repeat(100000) }];
    const plain = await writeLayer(entries, path.join(dir, 'p.tar'), false);
    const gz1 = await writeLayer(entries, path.join(dir, 'g1.tar.gz'), true);
    const gz2 = await writeLayer(entries, path.join(dir, 'g2.tar.gz'), true);
    expect(gz1.digest).toBe(gz2.digest);
    expect(gz1.diffId).toBe(plain.digest);
    expect(plain.diffId).toBe(plain.digest);
    expect(gz1.size).toBeLessThan(plain.size);
    expect(gz1.size).toBe(fs.statSync(gz1.file).size);
  });
});

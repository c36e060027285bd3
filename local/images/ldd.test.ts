import { parseLdd } from './ldd.ts';

describe('parseLdd', () => {
  it('lists libraries and the interpreter, not the vDSO', () => {
    const out = `\tlinux-vdso.so.1 (0x00007ffd5e9f2000)
\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f79b60c1000)
\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f79b5e00000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f79b5b3e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f79b60d9000)
`;
    expect(parseLdd(out)).toEqual([
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('returns nothing for a static binary', () => {
    expect(parseLdd('\tnot a dynamic executable\n')).toEqual([]);
    expect(parseLdd('\tstatically linked\n')).toEqual([]);
  });

  it('fails on a library the host lacks', () => {
    expect(() => parseLdd('\tlibfoo.so.1 => not found\n')).toThrow('missing shared library: libfoo.so.1');
  });
});

// The few files every image needs around its binary: users, groups, NSS, writable /tmp.
import type { LayerEntry } from './tar.ts';

/** Numeric users the charts run as: the operator 65532, Envoy 101, nginx's workers nobody. */
export const USERS = { root: 0, envoy: 101, nonroot: 65532, nobody: 65534 } as const;

const PASSWD = `root:x:0:0:root:/root:/sbin/nologin
envoy:x:101:101:envoy:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
`;

// nginx's compiled-in default is `user nobody nogroup`.
const GROUP = `root:x:0:
envoy:x:101:
nonroot:x:65532:
nogroup:x:65534:
`;

export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function baseEntries(): LayerEntry[] {
  return [
    { type: 'file', path: '/etc/passwd', mode: 0o644, content: PASSWD },
    { type: 'file', path: '/etc/group', mode: 0o644, content: GROUP },
    {
      type: 'file',
      path: '/etc/nsswitch.conf',
      mode: 0o644,
      content: 'passwd: files\ngroup: files\nhosts: files dns\n',
    },
    { type: 'dir', path: '/tmp', mode: 0o1777 },
    { type: 'dir', path: '/root', mode: 0o700 },
    { type: 'dir', path: '/home/nonroot', mode: 0o755, uid: USERS.nonroot, gid: USERS.nonroot },
    // Mount points the kubelet and runc fill; present so a read-only root needs no new directories.
    { type: 'dir', path: '/proc', mode: 0o555 },
    { type: 'dir', path: '/sys', mode: 0o555 },
    { type: 'dir', path: '/dev', mode: 0o755 },
    { type: 'file', path: '/etc/hosts', mode: 0o644, content: '127.0.0.1 localhost\n::1 localhost\n' },
    { type: 'file', path: '/etc/resolv.conf', mode: 0o644, content: '' },
    { type: 'file', path: '/etc/hostname', mode: 0o644, content: '' },
  ];
}

import * as plus from 'cdk8s-plus-34';

/** The uid and gid Portico's own processes run as (distroless "nonroot"). */
export const NONROOT_ID = 65532;

/** The container runtime's default seccomp filter: every Portico container runs under it. */
export const runtimeDefaultSeccomp: plus.SeccompProfile = { type: plus.SeccompProfileType.RUNTIME_DEFAULT };

/**
 * A container that runs as NONROOT_ID with no capability, no privilege escalation, a read-only root
 * and the runtime's default seccomp filter.
 */
export const nonRootContainer: plus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  user: NONROOT_ID,
  group: NONROOT_ID,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: [plus.Capability.ALL] },
  seccompProfile: runtimeDefaultSeccomp,
};

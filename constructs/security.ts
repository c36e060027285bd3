import * as plus from 'cdk8s-plus-34';

/** The uid and gid Portico's own processes run as (distroless "nonroot"). */
export const NONROOT_ID = 65532;

/** A container that runs as NONROOT_ID with no capability, no privilege escalation and a read-only root. */
export const nonRootContainer: plus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  user: NONROOT_ID,
  group: NONROOT_ID,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: [plus.Capability.ALL] },
};

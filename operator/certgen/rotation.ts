// CA rotation of the xDS channel, as pure steps: trust the next CA beside the current one, then
// sign leaves with it, then drop the old one. Each step waits until the previous one had time to
// reach every Envoy and operator replica (Secret volumes are refreshed within about a minute, the
// operator re-reads its files every minute), so no connection ever meets a CA its peer does not trust.
import crypto from 'node:crypto';
import { makeCa, type CertKey } from './certs.ts';

/** What the CA Secret holds. */
export interface CaState {
  /** The CA that signs leaves now. */
  readonly ca: CertKey;
  /** Every CA a peer may present a certificate from (PEM bundle); `ca` is one of them. */
  readonly trust: string;
  /** A rotation under way: its phase, when it was entered, and the next CA while only trusted. */
  readonly rotation?: {
    readonly phase: 'trust-next' | 'sign-next';
    readonly since: Date;
    readonly next?: CertKey;
  };
}

export interface CaStepOptions {
  now: Date;
  /** Time a step needs to reach every peer before the next one. */
  settleMs: number;
  /** Start a rotation now, whatever the CA's age. */
  rotate?: boolean;
}

/** Certificates of a PEM bundle, in order. */
export function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

/** True once less than a third of the CA's validity is left: time to rotate. */
export function caRotationDue(ca: CertKey, now: Date): boolean {
  const cert = new crypto.X509Certificate(ca.certPem);
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return to - now.getTime() < (to - from) / 3;
}

/** The CA state after at most one rotation step, and what that step was. */
export function stepCa(state: CaState, opts: CaStepOptions): { state: CaState; step?: string } {
  const { rotation } = state;
  if (!rotation) {
    if (!opts.rotate && !caRotationDue(state.ca, opts.now)) return { state };
    // A distinct name, so peers holding both CAs never confuse them.
    const next = makeCa(opts.now, `portico-xds-ca-${opts.now.getTime()}`);
    return {
      state: {
        ca: state.ca,
        trust: `${state.ca.certPem.trim()}\n${next.certPem.trim()}\n`,
        rotation: { phase: 'trust-next', since: opts.now, next },
      },
      step: 'next CA trusted beside the current one',
    };
  }
  if (opts.now.getTime() - rotation.since.getTime() < opts.settleMs) return { state };
  if (rotation.phase === 'trust-next') {
    if (!rotation.next) throw new Error('CA rotation in phase trust-next has no next CA');
    return {
      state: { ca: rotation.next, trust: state.trust, rotation: { phase: 'sign-next', since: opts.now } },
      step: 'next CA signs the leaves',
    };
  }
  return { state: { ca: state.ca, trust: `${state.ca.certPem.trim()}\n` }, step: 'old CA no longer trusted' };
}

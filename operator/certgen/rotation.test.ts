import crypto from 'node:crypto';
import { CA_DAYS, makeCa } from './certs.ts';
import { caRotationDue, pemCertificates, stepCa, type CaState } from './rotation.ts';

const DAY = 24 * 3600 * 1000;
const MIN = 60 * 1000;
const serial = (pem: string) => new crypto.X509Certificate(pem).serialNumber;

describe('xDS CA rotation', () => {
  const t0 = new Date('2030-01-01T00:00:00Z');
  const old = makeCa(t0);
  const steady: CaState = { ca: old, trust: old.certPem };

  it('leaves a young CA alone, and starts a rotation in its last third or when asked', () => {
    expect(stepCa(steady, { now: t0, settleMs: MIN })).toEqual({ state: steady });
    expect(caRotationDue(old, new Date(t0.getTime() + CA_DAYS * 0.6 * DAY))).toBe(false);
    const late = new Date(t0.getTime() + CA_DAYS * 0.7 * DAY);
    expect(caRotationDue(old, late)).toBe(true);
    expect(stepCa(steady, { now: late, settleMs: MIN }).step).toBe('next CA trusted beside the current one');
    expect(stepCa(steady, { now: t0, settleMs: MIN, rotate: true }).step).toBeDefined();
  });

  it('trusts both CAs, then signs with the new one, then drops the old one, a settle time apart', () => {
    const s1 = stepCa(steady, { now: t0, settleMs: 10 * MIN, rotate: true }).state;
    const next = s1.rotation!.next!;
    // Phase 1: the old CA still signs; peers learn to trust the new one.
    expect(s1.ca).toBe(old);
    expect(pemCertificates(s1.trust).map(serial)).toEqual([serial(old.certPem), serial(next.certPem)]);
    expect(new crypto.X509Certificate(next.certPem).subject).not.toBe(
      new crypto.X509Certificate(old.certPem).subject,
    );
    // Too early for the next step, even if asked again.
    const early = new Date(t0.getTime() + 9 * MIN);
    expect(stepCa(s1, { now: early, settleMs: 10 * MIN, rotate: true })).toEqual({ state: s1 });
    // Phase 2: the new CA signs; both are still trusted (peers may hold old leaves).
    const t1 = new Date(t0.getTime() + 10 * MIN);
    const s2 = stepCa(s1, { now: t1, settleMs: 10 * MIN });
    expect(s2.step).toBe('next CA signs the leaves');
    expect(s2.state.ca).toBe(next);
    expect(s2.state.trust).toBe(s1.trust);
    expect(s2.state.rotation).toEqual({ phase: 'sign-next', since: t1 });
    // Phase 3: only the new CA is trusted; the rotation is over.
    const t2 = new Date(t1.getTime() + 10 * MIN);
    const s3 = stepCa(s2.state, { now: t2, settleMs: 10 * MIN });
    expect(s3.step).toBe('old CA no longer trusted');
    expect(s3.state).toEqual({ ca: next, trust: `${next.certPem.trim()}\n` });
    expect(stepCa(s3.state, { now: t2, settleMs: 10 * MIN })).toEqual({ state: s3.state });
  });
});

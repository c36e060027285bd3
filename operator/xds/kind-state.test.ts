import { changes, desired, newKindState, recordAnswer, stillRejected } from './kind-state.ts';
import type { EncodedResource } from './snapshot.ts';

const res = (hash: string) => ({ hash }) as unknown as EncodedResource;

/** A per-resource type whose target is `names` (hash = name), subscribed by wildcard. */
function state(names: string[]) {
  const st = newKindState();
  st.requested = true;
  st.wildcard = true;
  st.targeted = true;
  st.target = new Map(names.map((n) => [n, res(n)]));
  return st;
}

/** Marks what `changes` picked as sent and in flight, as the stream does. */
function send(st: ReturnType<typeof newKindState>) {
  const { changed } = changes(st, desired(st), true);
  for (const [n, r] of changed) {
    st.sent.set(n, r.hash);
    st.inFlight.set(n, r.hash);
  }
  st.pendingNonce = 'n';
  return changed.map(([n]) => n);
}

describe('kind state: ACK, NACK and isolation', () => {
  it('a NACK of a batch resends its resources one by one and pins the refusal on the bad one', () => {
    const st = state(['a', 'bad', 'c']);
    expect(send(st)).toEqual(['a', 'bad', 'c']);
    expect(recordAnswer(st, true, true)).toEqual({ type: 'isolating', count: 3 });
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [one] = send(st);
      order.push(one!);
      const answer = recordAnswer(st, one === 'bad', true);
      expect(answer).toEqual(one === 'bad' ? { type: 'nack', suspects: ['bad'] } : { type: 'ack' });
    }
    expect(order.sort()).toEqual(['a', 'bad', 'c']);
    expect(stillRejected(st, true)).toEqual(['bad']);
    // The refused digest is not resent until it changes; a change clears the refusal once ACKed.
    expect(send(st)).toEqual([]);
    st.target = new Map([...st.target, ['bad', res('fixed')]]);
    expect(send(st)).toEqual(['bad']);
    expect(recordAnswer(st, false, true)).toEqual({ type: 'ack' });
    expect(stillRejected(st, true)).toEqual([]);
  });

  it('a whole-set type (SotW CDS/LDS) names as suspects what differs from the last ACKed set', () => {
    const st = state([]);
    st.sentSet = new Map([
      ['a', res('1')],
      ['b', res('2')],
    ]);
    st.sentVersion = 'v1';
    recordAnswer(st, false, false);
    st.sentSet = new Map([
      ['a', res('1')],
      ['b', res('3')],
    ]);
    st.sentVersion = 'v2';
    expect(recordAnswer(st, true, false)).toEqual({ type: 'nack', suspects: ['b'] });
    expect(stillRejected(st, false)).toEqual(['b']);
  });
});

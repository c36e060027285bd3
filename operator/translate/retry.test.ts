import type { HTTPRouteRule } from '../api/index.ts';
import { myGateway } from '../../test-support/translate/fixtures.ts';
import { cond, parent, route, snap, vhostRoutes } from '../../test-support/translate/scenario-helpers.ts';
import { DEFAULT_RETRY_ATTEMPTS, ruleTiming } from './retry.ts';
import { translate } from './translate.ts';

const fail = (message: string): never => {
  throw new Error(message);
};

describe('ruleTiming: rules[].timeouts and rules[].retry', () => {
  it('without retry, the shorter timeout bounds the exchange', () => {
    expect(ruleTiming({ request: '2s', backendRequest: '500ms' }, undefined, fail)).toEqual({
      timeoutMs: 500,
    });
    expect(ruleTiming({ request: '0s' }, undefined, fail)).toEqual({});
  });

  it('with retry, request bounds the whole exchange and backendRequest each attempt', () => {
    expect(
      ruleTiming(
        { request: '10s', backendRequest: '1s' },
        { codes: [503, 500, 500], attempts: 3, backoff: '100ms' },
        fail,
      ),
    ).toEqual({
      timeoutMs: 10_000,
      retry: { statusCodes: [500, 503], attempts: 3, backoffMs: 100, perTryTimeoutMs: 1000 },
    });
  });

  it('an empty retry retries connection errors only, as often as Envoy does by default', () => {
    expect(ruleTiming(undefined, {}, fail)).toEqual({
      retry: { statusCodes: [], attempts: DEFAULT_RETRY_ATTEMPTS },
    });
  });

  it.each([
    [{ codes: [302] }, 'retry.codes 302 is not an HTTP status code from 400 to 599'],
    [{ codes: ['500'] }, 'retry.codes "500" is not an HTTP status code from 400 to 599'],
    [{ attempts: 0 }, 'retry.attempts 0 must be a whole number of at least 1'],
    [{ backoff: '1.5s' }, 'retry.backoff "1.5s" is not a duration'],
  ])('refuses %j', (retry, message) => {
    expect(() => ruleTiming(undefined, retry, fail)).toThrow(message);
  });
});

describe('HTTPRoute rules[].retry through the translator', () => {
  const run = (retry: unknown, timeouts?: Record<string, string>) =>
    translate(
      snap({
        gateways: [myGateway()],
        httpRoutes: [
          route('r', {
            rules: [
              {
                retry,
                ...(timeouts ? { timeouts } : {}),
                backendRefs: [{ name: 'web', port: 80 }],
              } as HTTPRouteRule,
            ],
          }),
        ],
      }),
    );

  it('lands on the route', () => {
    const r = run({ codes: [500], attempts: 3 }, { backendRequest: '2s' });
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('True/Accepted');
    const [ir] = vhostRoutes(r);
    expect(ir?.retry).toEqual({ statusCodes: [500], attempts: 3, perTryTimeoutMs: 2000 });
    expect(ir).not.toHaveProperty('timeoutMs');
  });

  it('a bad value is UnsupportedValue naming the field', () => {
    const r = run({ codes: [700] });
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/UnsupportedValue');
    expect(parent(r, 'r')?.find((c) => c.type === 'Accepted')?.message).toBe(
      'retry.codes 700 is not an HTTP status code from 400 to 599',
    );
  });
});

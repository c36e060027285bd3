import { envoyRetryPolicy } from './retry.ts';

describe('envoyRetryPolicy', () => {
  it('retries connection errors and the listed codes, with backoff and per-try timeout', () => {
    expect(
      envoyRetryPolicy({ statusCodes: [500, 502], attempts: 3, backoffMs: 1500, perTryTimeoutMs: 250 }),
    ).toEqual({
      retry_on: 'connect-failure,refused-stream,reset,retriable-status-codes',
      num_retries: { value: 3 },
      retriable_status_codes: [500, 502],
      retry_back_off: { base_interval: { seconds: 1, nanos: 500_000_000 } },
      per_try_timeout: { seconds: 0, nanos: 250_000_000 },
    });
  });

  it('without codes, only connection errors', () => {
    expect(envoyRetryPolicy({ statusCodes: [], attempts: 1 })).toEqual({
      retry_on: 'connect-failure,refused-stream,reset',
      num_retries: { value: 1 },
    });
  });
});

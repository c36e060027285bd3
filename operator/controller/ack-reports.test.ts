import { reportName } from './ack-reports.ts';

describe('reportName', () => {
  it('turns any replica identity into a Lease name', () => {
    expect(reportName('portico-operator-7d9f-abcde-1')).toBe('portico-xds-portico-operator-7d9f-abcde-1');
    expect(reportName('My_Host:42')).toBe('portico-xds-my-host-42');
    expect(reportName('--')).toBe('portico-xds-replica');
    expect(reportName('a'.repeat(300))).toHaveLength(253);
  });
});

it('never ends a cut name on a separator', () => {
  expect(reportName(`${'a'.repeat(240)}-${'b'.repeat(20)}`.replace(/b/g, '-b'))).toMatch(/[a-z0-9]$/);
});

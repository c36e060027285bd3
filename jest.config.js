// Two tiers: unit (pure code, no processes) and integration (real apiserver, Envoy, namespaces).
// The longest integration suites have projects (and npm scripts) of their own, so CI stays fast while
// keeping a proof of each area; docs/testing.md lists them and says why.
const transform = { '^.+\\.ts$': ['ts-jest', { useESM: true }] };
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
};

/** `npm run test:faults`: faults and churn under traffic, clock skew, throttling, Envoy without an operator. */
const FAULTS = [
  'faults-bad-input',
  'faults-control-plane',
  'faults-leader',
  'faults-operator-restart',
  'operator-lease-skew',
  'operator-status-throttle',
  'xds-initial-fetch',
  'e2e-churn',
];
/** `npm run test:nodes`: Helm's lifecycle and the seed lab with its pod faults on real nodes. */
const NODES = ['helm', 'e2e-lab'];
const suites = (names) => names.map((n) => `<rootDir>/tests/${n}.test.ts`);

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{constructs,operator,local,charts,test-support}/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        ...[...FAULTS, ...NODES].map((n) => `/tests/${n}\\.test\\.ts$`),
      ],
    },
    { ...common, displayName: 'faults', testMatch: suites(FAULTS) },
    { ...common, displayName: 'nodes', testMatch: suites(NODES) },
  ],
  reporters: ['default', '<rootDir>/tests/summary-reporter.js'],
  testTimeout: 120000,
};

// Two tiers: unit (pure code, no processes) and integration (real apiserver, Envoy, namespaces).
const transform = { '^.+\\.ts$': ['ts-jest', { useESM: true }] };
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
};

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
    },
  ],
  reporters: ['default', '<rootDir>/tests/summary-reporter.js'],
  testTimeout: 120000,
};

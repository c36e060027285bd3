import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'build/',
      'constructs/imports/',
      'operator/envoy/generated/',
      'coverage/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Each call leaves a temp directory behind: test-support/cdk8s.ts has the ones to use.
      'no-restricted-properties': [
        'error',
        ...['app', 'chart'].map((property) => ({
          object: 'Testing',
          property,
          message: 'use testApp()/testChart() from test-support/cdk8s.ts',
        })),
      ],
    },
  },
);

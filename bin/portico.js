#!/usr/bin/env node
// The `portico` CLI: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../local/cli/cli.ts');

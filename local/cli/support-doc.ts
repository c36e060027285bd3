// Writes docs/support.md from operator/translate/support.ts (`npm run docs:support`).
import { writeFileSync } from 'node:fs';
import { supportMarkdown } from '../../operator/translate/support.ts';

writeFileSync(new URL('../../docs/support.md', import.meta.url), supportMarkdown());

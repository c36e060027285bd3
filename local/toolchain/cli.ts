import { ensureToolchain, ToolchainError } from './install.ts';

const started = Date.now();
try {
  const t = ensureToolchain((line) => console.log(`toolchain: ${line}`));
  console.log(`toolchain: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const [name, p] of Object.entries(t)) console.log(`  ${name.padEnd(24)} ${p}`);
} catch (err) {
  if (!(err instanceof ToolchainError)) throw err;
  console.error(`toolchain: ${err.message}`);
  process.exit(1);
}

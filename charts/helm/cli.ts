// npm run chart: generates the Helm chart from the install chart, lints it strictly and packages
// dist/portico-<version>.tgz.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureGatewayCrds, ensureHelm } from '../../local/toolchain/install.ts';
import { toolchainPaths } from '../../local/toolchain/paths.ts';
import { repoRoot } from '../../local/images/node-apps.ts';
import { CHART_NAME, generateChart } from './generate.ts';
import { updateValuesTable } from './values-table.ts';

/** Runs helm; returns stdout, or throws with its stderr. */
export function helm(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(toolchainPaths().helm, args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...opts.env },
  });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`helm ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** helm without blocking the event loop (a `helm upgrade` waits for hook Jobs, for seconds). */
export function helmAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      toolchainPaths().helm,
      args,
      { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`helm ${args.join(' ')} failed (${err.message}):\n${stderr}${stdout}`))
          : resolve(stdout),
    ),
  );
}

export function chartVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** Generates, lints and packages the chart into `outDir`; returns the .tgz path. */
export function buildChart(outDir: string, log: (line: string) => void = () => {}): string {
  const t = toolchainPaths();
  ensureHelm(t, log);
  ensureGatewayCrds(t, log);
  const chartDir = path.join(outDir, 'chart', CHART_NAME);
  generateChart(chartDir, {
    gatewayCrdDirs: { standard: t.gatewayCrds, experimental: t.gatewayCrdsExperimental },
    version: chartVersion(),
  });
  log(helm(['lint', '--strict', chartDir]).trim());
  helm(['package', chartDir, '--destination', outDir]);
  return path.join(outDir, `${CHART_NAME}-${chartVersion()}.tgz`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const tgz = buildChart(path.resolve(process.argv[2] ?? path.join(repoRoot, 'dist')), (l) => console.log(l));
  if (updateValuesTable(path.join(repoRoot, 'README.md')))
    console.log('updated the values table in README.md');
  console.log(`wrote ${path.relative(process.cwd(), tgz)}`);
}

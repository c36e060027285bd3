// Writes the install chart and the seed lab as plain YAML into dist/ (or the folder given).
// Run: node --import tsx charts/synth.ts [outdir]
import { App, YamlOutputType } from 'cdk8s';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addSeedLab } from './examples/index.ts';
import { InstallChart } from './install-chart.ts';

export function synthAll(outdir: string): App {
  const app = new App({
    outdir,
    outputFileExtension: '.yaml',
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
  });
  new InstallChart(app, 'portico-install');
  addSeedLab(app);
  app.synth();
  return app;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = path.resolve(process.argv[2] ?? 'dist');
  synthAll(outdir);
  console.log(`wrote ${outdir}`);
}

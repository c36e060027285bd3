// cdk8s's Testing.app() makes a temp directory per call and never removes it (one per chart, tens
// of thousands over a few CI runs). Tests read charts with toJson(); only synth() would write to an
// app's outdir, so these apps share one that is never created.
import os from 'node:os';
import path from 'node:path';
import { App, Chart } from 'cdk8s';

const OUTDIR = path.join(os.tmpdir(), 'portico-cdk8s-test-outdir');

export const testApp = (): App => new App({ outdir: OUTDIR });

/** A chart named `test`, as Testing.chart() makes. */
export const testChart = (): Chart => new Chart(testApp(), 'test');

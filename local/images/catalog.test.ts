import { InstallChart } from '../../charts/install-chart.ts';
import { addSeedLab } from '../../charts/examples/index.ts';
import {
  COREDNS_IMAGE,
  ECHO_BASIC_IMAGES,
  imageDefinitions,
  imageNames,
  STAND_IN_IMAGES,
  STAND_IN_LABEL,
} from './catalog.ts';
import { testApp } from '../../test-support/cdk8s.ts';

function chartImages(): Set<string> {
  const app = testApp();
  addSeedLab(app);
  new InstallChart(app, 'portico');
  const images = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'image' && typeof x === 'string') images.add(x);
        else visit(x);
      }
    }
  };
  for (const c of app.charts) visit(c.toJson());
  return images;
}

describe('image catalog', () => {
  const names = imageDefinitions().map((d) => d.name);

  it('builds every image the install chart and the seed lab name (the agent is built with Go)', () => {
    const missing = [...chartImages()].filter((i) => !names.includes(i));
    expect(missing).toEqual([]);
  });

  it('runs the operator with the node flags the chart sets', () => {
    const op = imageDefinitions().find((d) => d.name.startsWith('portico/operator:'))!;
    const env = op.config.Env ?? [];
    expect(env).toContain('NODE_OPTIONS=--expose-gc');
    expect(op.config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/main.js']);
  });

  it('labels exactly the stand-ins', () => {
    for (const d of imageDefinitions()) {
      expect(d.standIn).toBe(STAND_IN_IMAGES.includes(d.name));
      expect(d.config.Labels?.[STAND_IN_LABEL] === 'true').toBe(d.standIn);
    }
  });

  it('builds the conformance images only for conformance runs', () => {
    expect(imageNames('conformance')).toEqual(ECHO_BASIC_IMAGES);
    expect(imageNames()).not.toContain(ECHO_BASIC_IMAGES[0]);
    expect(imageNames()).toContain(COREDNS_IMAGE);
  });

  it('has one definition per name', () => {
    expect(new Set(names).size).toBe(names.length);
  });
});

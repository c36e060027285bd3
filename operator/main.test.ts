import { App, Chart } from 'cdk8s';
import { Operator } from '../constructs/operator.ts';
import { parseFlags } from './main.ts';

describe('operator flags', () => {
  it('accepts exactly the arguments the Operator construct gives the container', () => {
    const chart = new Chart(new App(), 'c', { namespace: 'portico-system' });
    new Operator(chart, 'op');
    const dep = chart.toJson().find((o: { kind: string }) => o.kind === 'Deployment');
    const args = dep.spec.template.spec.containers[0].args as string[];
    const flags = parseFlags(args, { POD_NAMESPACE: 'portico-system' });
    expect(flags).toMatchObject({
      xdsPort: 18000,
      metricsPort: 9090,
      leaderElectionNamespace: 'portico-system',
    });
  });

  it('refuses a controller name it does not serve, naming the flag', () => {
    expect(() => parseFlags(['--controller-name=example.com/other'], {})).toThrow(
      /--controller-name: only "portico.dev\/gateway-controller" is served/,
    );
  });
});

import * as plus from 'cdk8s-plus-34';
import { Construct } from 'constructs';

export interface DemoAppProps {
  /** Name of the Deployment. */
  readonly name: string;
  readonly image: string;
  /** Port the container listens on. */
  readonly containerPort: number;
  /** Service name and port, or false for none. @default name and containerPort */
  readonly service?: { readonly name: string; readonly port: number } | false;
  /** The pods' `app` label, which the Service selects. @default name */
  readonly app?: string;
  /** Extra pod labels (e.g. version). @default none */
  readonly labels?: { readonly [k: string]: string };
  readonly env?: { readonly [k: string]: string };
  /** Images of the lab write to their root filesystem and run as root. */
  readonly root?: boolean;
}

/** A lab workload: one Deployment (one replica) and a ClusterIP Service in front of it. */
export class DemoApp extends Construct {
  readonly deployment: plus.Deployment;
  readonly service?: plus.Service;
  readonly container: plus.Container;

  constructor(scope: Construct, id: string, props: DemoAppProps) {
    super(scope, id);
    const app = props.app ?? props.name;
    const labels = { app, ...props.labels };
    this.deployment = new plus.Deployment(this, 'Deployment', {
      metadata: { name: props.name, labels },
      podMetadata: { labels },
      replicas: 1,
      securityContext: { ensureNonRoot: !props.root },
      isolate: false,
    });
    this.container = this.deployment.addContainer({
      name: props.name,
      image: props.image,
      imagePullPolicy: plus.ImagePullPolicy.IF_NOT_PRESENT,
      portNumber: props.containerPort,
      envVariables: Object.fromEntries(
        Object.entries(props.env ?? {}).map(([k, v]) => [k, plus.EnvValue.fromValue(v)]),
      ),
      securityContext: {
        ensureNonRoot: !props.root,
        readOnlyRootFilesystem: false,
        allowPrivilegeEscalation: false,
      },
      resources: {},
    });
    const svc = props.service ?? { name: props.name, port: props.containerPort };
    if (svc !== false) {
      this.service = new plus.Service(this, 'Service', {
        metadata: { name: svc.name, labels: { app } },
        ports: [{ name: 'http', port: svc.port, targetPort: props.containerPort }],
      });
      this.service.selectLabel('app', app);
    }
  }
}

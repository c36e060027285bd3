import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive } from '../common/process.ts';

/** Where `portico up` keeps the running cluster: its data, kubeconfig and a state file. */
export function homeDir(): string {
  return process.env.PORTICO_HOME ?? path.join(os.homedir(), '.portico');
}

export interface ClusterState {
  /** The `portico up` process that owns every component. */
  readonly pid: number;
  readonly startedAt: string;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly operatorMetricsUrl?: string;
  readonly envoyAdminUrl?: string;
  readonly poolCidr: string;
  readonly nodes?: readonly { name: string; ip: string; netns: string }[];
  readonly logFile?: string;
  /** False while starting; true once every component is up. */
  readonly ready: boolean;
}

const stateFile = () => path.join(homeDir(), 'state.json');

/** The state of a running cluster, or undefined (a state file left by a dead process is removed). */
export function readState(): ClusterState | undefined {
  let state: ClusterState;
  try {
    state = JSON.parse(fs.readFileSync(stateFile(), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
  if (!alive(state.pid)) {
    fs.rmSync(stateFile(), { force: true });
    return undefined;
  }
  return state;
}

export function writeState(state: ClusterState): void {
  fs.mkdirSync(homeDir(), { recursive: true });
  const tmp = `${stateFile()}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, stateFile());
}

export function clearState(pid: number): void {
  const s = readState();
  if (s && s.pid !== pid) return;
  fs.rmSync(stateFile(), { force: true });
}

// The constructs' Gateway API classes, made by `cdk8s import` from the pinned CRDs. The kinds and
// the CRDs are also the operator's (operator/api/generate.ts); `npm run generate:api` writes both.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolchainPaths } from '../local/toolchain/paths.ts';
import { versions } from '../local/toolchain/versions.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');

/** The CRDs Portico implements (all standard channel at v1.6.3). */
export const gatewayApiKinds = [
  'gatewayclasses',
  'gateways',
  'httproutes',
  'grpcroutes',
  'tlsroutes',
  'tcproutes',
  'udproutes',
  'referencegrants',
  'listenersets',
];

export const importedFile = path.join(here, 'imports', 'gateway.networking.k8s.io.ts');

/** The pinned CRDs (`npm run toolchain` fetches them). */
export function gatewayCrdFile(kind: string, crdDir = toolchainPaths().gatewayCrds): string {
  const file = path.join(crdDir, `gateway.networking.k8s.io_${kind}.yaml`);
  if (!fs.existsSync(file))
    throw new Error(`Gateway API CRD ${file} is missing: run \`npm run toolchain\` first`);
  return file;
}

/** Returns the generated TypeScript for the pinned CRDs (does not write it). */
export function generateGatewayApiImports(crdDir = toolchainPaths().gatewayCrds): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-import-'));
  try {
    const docs = gatewayApiKinds.map((k) => fs.readFileSync(gatewayCrdFile(k, crdDir), 'utf8'));
    const input = path.join(tmp, 'crds.yaml');
    fs.writeFileSync(input, docs.join('\n---\n'));
    const cli = path.join(repo, 'node_modules', '.bin', 'cdk8s');
    // Run in the temp folder and without --save: cdk8s import would otherwise record the temp
    // input in the repository's cdk8s.yaml.
    execFileSync(
      cli,
      ['import', input, '--output', path.join(tmp, 'out'), '--language', 'typescript', '--save=false'],
      {
        cwd: tmp,
        stdio: 'pipe',
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      },
    );
    const generated = fs.readFileSync(path.join(tmp, 'out', 'gateway.networking.k8s.io.ts'), 'utf8');
    // verbatimModuleSyntax needs type-only imports marked as such; nothing else is touched.
    const fixed = generated.replace(
      "import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';",
      "import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';",
    );
    return `// Gateway API ${versions.gatewayApi} (${gatewayApiKinds.join(', ')}); regenerate with npm run generate:api\n${fixed}`;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

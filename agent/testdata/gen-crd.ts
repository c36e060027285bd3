// Writes the L2AnnouncementPolicy CRD, as the install chart emits it, for the Go integration tests.
// Run from the repository root: node --import tsx agent/testdata/gen-crd.ts && npx prettier --write agent/testdata
import fs from 'node:fs';
import { Testing } from 'cdk8s';
import { testChart } from '../../test-support/cdk8s.ts';
import { PorticoCrd } from '../../constructs/portico-crds.ts';
import { l2AnnouncementPolicyCrd } from '../../constructs/l2-announcement-policy.ts';

const chart = testChart();
new PorticoCrd(chart, 'L2AnnouncementPolicy', l2AnnouncementPolicyCrd);
const [crd] = Testing.synth(chart);
const out = new URL('./l2announcementpolicies.portico.dev.json', import.meta.url);
fs.writeFileSync(out, JSON.stringify(crd, null, 2) + '\n');

// Reading kube-apiserver's verbose /readyz: which checks fail, and whether only the Service IP repair
// hook does (the one state a restart gets it out of). The text is a real answer of our pinned
// kube-apiserver, captured while it started.
import fs from 'node:fs';
import path from 'node:path';
import { failingChecks, onlyRepairFails } from './control-plane.ts';

const answer = fs.readFileSync(path.join(import.meta.dirname, 'testdata', 'readyz-rbac-pending.txt'), 'utf8');
const REPAIR_OK = '[+]poststarthook/start-service-ip-repair-controllers ok';
const REPAIR_FAILED = '[-]poststarthook/start-service-ip-repair-controllers failed: reason withheld';
const RBAC_FAILED = '[-]poststarthook/rbac/bootstrap-roles failed: reason withheld';

test('failing checks are the [-] lines', () => {
  expect(failingChecks(answer)).toEqual([RBAC_FAILED]);
  expect(failingChecks(answer.replace(REPAIR_OK, REPAIR_FAILED))).toEqual([REPAIR_FAILED, RBAC_FAILED]);
});

test('the repair hook counts as stuck only when no other check fails', () => {
  expect(onlyRepairFails(failingChecks(answer))).toBe(false);
  expect(onlyRepairFails(failingChecks(answer.replace(REPAIR_OK, REPAIR_FAILED)))).toBe(false);
  const repairOnly = answer
    .replace(REPAIR_OK, REPAIR_FAILED)
    .replace(RBAC_FAILED, RBAC_FAILED.replace('[-]', '[+]').replace(/ failed.*/, ' ok'));
  expect(onlyRepairFails(failingChecks(repairOnly))).toBe(true);
  expect(onlyRepairFails([])).toBe(false);
});

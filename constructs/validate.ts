import { invalid, type ValidationScope } from './errors.ts';
import { durationMs } from './duration.ts';
import { re2Error } from './regex.ts';

const dnsLabel = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const hostnameRe = new RegExp(`^(\\*\\.)?${dnsLabel}(\\.${dnsLabel})*$`);
const nameRe = new RegExp(`^${dnsLabel}(\\.${dnsLabel})*$`);
const sectionNameRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Gateway API Hostname: a DNS name, optionally with a leading `*.` wildcard label, no IPs, no port. */
export function checkHostname(scope: ValidationScope, field: string, hostname: string): void {
  if (hostname.length > 253 || !hostnameRe.test(hostname) || /^[0-9.]+$/.test(hostname)) {
    invalid(
      scope,
      field,
      `must be a lower-case DNS name such as "shop.example.com" or "*.example.com" (no IP, no port), got "${hostname}"`,
    );
  }
}

/** A Kubernetes object name (DNS subdomain). */
export function checkName(scope: ValidationScope, field: string, name: string): void {
  if (name.length === 0 || name.length > 253 || !nameRe.test(name)) {
    invalid(scope, field, `must be a lower-case DNS subdomain name (a-z, 0-9, "-", "."), got "${name}"`);
  }
}

/** A listener or rule name (DNS label, at most 63 characters). */
export function checkSectionName(scope: ValidationScope, field: string, name: string): void {
  if (name.length > 63 || !sectionNameRe.test(name)) {
    invalid(scope, field, `must be a lower-case DNS label (a-z, 0-9, "-", at most 63), got "${name}"`);
  }
}

export function checkPort(scope: ValidationScope, field: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    invalid(scope, field, `must be an integer port between 1 and 65535, got ${port}`);
  }
}

export function checkWeight(scope: ValidationScope, field: string, weight: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > 1_000_000) {
    invalid(scope, field, `must be an integer between 0 and 1000000, got ${weight}`);
  }
}

/**
 * Envoy matches with RE2 (and the agent interface names with Go's regexp, the same syntax): the
 * operator refuses what RE2 refuses, so the constructs refuse exactly that too.
 */
export function checkRegex(scope: ValidationScope, field: string, pattern: string): void {
  const why = re2Error(pattern);
  if (why !== undefined) {
    invalid(
      scope,
      field,
      `is not a valid RE2 regular expression (Envoy matches with RE2: no lookaround, no backreferences): ${why}, got ${JSON.stringify(pattern)}`,
    );
  }
}

/** A Gateway API duration such as "500ms" or "1m30s"; returns it in milliseconds. */
export function checkDuration(scope: ValidationScope, field: string, text: string): number {
  return (
    durationMs(text) ??
    invalid(
      scope,
      field,
      `must be a duration such as "500ms", "10s" or "1m30s" (units h, m, s, ms), got "${text}"`,
    )
  );
}

import type { IConstruct } from 'constructs';

/** A prop that Portico cannot synthesize; the message names the construct, the field and the fix. */
export class PorticoValidationError extends Error {
  constructor(
    readonly kind: string,
    readonly constructPath: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${kind} "${constructPath}": ${field} ${reason}`);
    this.name = 'PorticoValidationError';
  }
}

/**
 * What a validation error names: a construct, or a plain stand-in with its kind and path (the
 * operator validates owned objects without loading cdk8s).
 */
export interface ValidationScope {
  readonly node: { readonly path: string };
  /** @default the construct's class name */
  readonly validationKind?: string;
}

/** Throws a PorticoValidationError for `scope` (kind is the construct's class name). */
export function invalid(scope: ValidationScope, field: string, reason: string): never {
  throw new PorticoValidationError(
    scope.validationKind ?? scope.constructor.name,
    scope.node.path,
    field,
    reason,
  );
}

/** Formats an error for node.addValidation, which cdk8s reports at synth with the path in front. */
export function validationMessage(scope: IConstruct, field: string, reason: string): string {
  return `${scope.constructor.name}: ${field} ${reason}`;
}

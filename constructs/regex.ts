// The one regex validator of Portico, shared by the constructs and the operator. Envoy compiles
// safe_regex with RE2: a pattern RE2 refuses (lookaround, backreferences, syntax errors) would make
// Envoy NACK the whole route configuration of a listener, freezing every other route on it; catching
// it first turns it into a synth-time error or the offending route's own condition instead.
import { createRequire } from 'node:module';
import type { RE2 as RE2Type } from 're2-wasm';

// Loaded on the first pattern: its WebAssembly instance costs the operator about 10 MiB of RSS,
// and most clusters have no RegularExpression match at all.
let RE2: typeof RE2Type | undefined;

/** Why RE2 refuses `pattern`, or undefined if it compiles. */
export function re2Error(pattern: string): string | undefined {
  RE2 ??= (createRequire(import.meta.url)('re2-wasm') as { RE2: typeof RE2Type }).RE2;
  try {
    new RE2(pattern, 'u');
    return undefined;
  } catch (e) {
    // re2-wasm reports as JavaScript does ("Invalid regular expression: /p/u: why"): keep the why.
    const m = /: \/.*\/u: (.*)$/s.exec((e as Error).message);
    return m?.[1] ?? (e as Error).message;
  }
}

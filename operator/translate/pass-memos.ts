// Memos kept from one translation pass to the next register here, so that a test can forget them
// all and get a truly cold translation to compare a warm one with.
const resets: (() => void)[] = [];

/** Registers how a module forgets what it keeps across passes. */
export function keptAcrossPasses(reset: () => void): void {
  resets.push(reset);
}

/** Forgets every pass-to-pass memo: the next translation starts cold. */
export function forgetPasses(): void {
  for (const reset of resets) reset();
}

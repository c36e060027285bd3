/** A user mistake or an unmet prerequisite: the CLI prints one line on stderr and exits 2. */
export class UsageError extends Error {}

/** Thrown when one of our own invariants fails. It is a bug, never a client's fault: 500. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * Base of the errors that are outcomes, not faults: a denied exchange, a key that is not there,
 * a request answered with a 4xx. Every refused request throws some, and nothing reads their
 * stacks; capturing one was ~10 µs, three per denied exchange (BENCHMARKS.md). Faults keep
 * theirs: they are plain Errors.
 */
export class OutcomeError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

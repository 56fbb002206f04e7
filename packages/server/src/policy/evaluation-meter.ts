/**
 * Runtime guard for one CEL evaluation. @bufbuild/cel has no cost limit, so the condition
 * compiler rewrites every comprehension's loop condition to pass through `tick()`; once the
 * iteration budget or the deadline is spent, `tick()` reports exhaustion and the loop stops
 * (the rewritten condition becomes an error, which ends a @bufbuild/cel fold immediately).
 * Regex runs check the deadline too, since one `matches()` on a long claim can take ~40 ms.
 *
 * The result of an exhausted evaluation is discarded (CEL's `||`/`&&` can absorb errors, so
 * the raw value could still be `true`): the caller must check `exhausted` and treat it as a
 * non-match.
 */
export interface EvaluationLimits {
  /** Total comprehension iterations across the whole expression, nested loops included. */
  readonly maxIterations: number;
  /** Wall-clock backstop for a single evaluation, in milliseconds. */
  readonly deadlineMs: number;
}

export const DEFAULT_EVALUATION_LIMITS: EvaluationLimits = { maxIterations: 5_000, deadlineMs: 50 };

export class EvaluationMeter {
  readonly #limits: EvaluationLimits;
  readonly #now: () => number;
  #iterations = 0;
  #deadline = Number.POSITIVE_INFINITY;
  #exhausted: 'iterations' | 'deadline' | null = null;

  constructor(limits: EvaluationLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Evaluation is synchronous, so one meter per compiler is enough: reset before each run. */
  start(): void {
    this.#iterations = 0;
    this.#exhausted = null;
    this.#deadline = this.#now() + this.#limits.deadlineMs;
  }

  get exhausted(): 'iterations' | 'deadline' | null {
    return this.#exhausted;
  }

  get iterations(): number {
    return this.#iterations;
  }

  /** Called before each regex run (the other operation whose cost scales with claim size). */
  withinDeadline(): boolean {
    if (this.#exhausted === null && this.#now() > this.#deadline) this.#exhausted = 'deadline';
    return this.#exhausted === null;
  }

  /** Called once per loop iteration; false means "stop now". */
  tick(): boolean {
    if (this.#exhausted !== null) return false;
    this.#iterations += 1;
    if (this.#iterations > this.#limits.maxIterations) {
      this.#exhausted = 'iterations';
    } else if (this.#now() > this.#deadline) {
      this.#exhausted = 'deadline';
    }
    return this.#exhausted === null;
  }
}

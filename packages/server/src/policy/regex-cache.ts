import { RE2JS } from '@bufbuild/re2';

/** What @bufbuild/cel's `re2.compile` hook must return, plus the size used for the budget. */
export interface RegexMatcher {
  test(text: string): boolean;
  /** RE2 program instructions; evaluation cost per input character grows with it. */
  readonly programSize: number;
}

export const DEFAULT_REGEX_CACHE_SIZE = 256;

/**
 * Bounded LRU of compiled RE2 programs. @bufbuild/cel recompiles the pattern on every
 * `matches()` call unless given a compiler, which costs ~12x throughput; the bound keeps a
 * long-lived server from growing without limit as rules are edited.
 *
 * Owned by one ConditionCompiler (no module-level state), so tests and tenants don't share it.
 */
export class RegexCache {
  readonly #maxEntries: number;
  readonly #entries = new Map<string, RegexMatcher>();

  constructor(maxEntries: number = DEFAULT_REGEX_CACHE_SIZE) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError('RegexCache maxEntries must be a positive integer');
    }
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Throws RE2JSSyntaxException for an invalid pattern (nothing is cached then). */
  compile(pattern: string): RegexMatcher {
    const hit = this.#entries.get(pattern);
    if (hit !== undefined) {
      // Map iteration order is insertion order: re-inserting marks the entry most recent.
      this.#entries.delete(pattern);
      this.#entries.set(pattern, hit);
      return hit;
    }
    const program = RE2JS.compile(pattern);
    const compiled: RegexMatcher = { test: (text) => program.test(text), programSize: program.re2().prog.numInst() };
    this.#entries.set(pattern, compiled);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return compiled;
  }
}

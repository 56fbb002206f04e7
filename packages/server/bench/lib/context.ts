/** What bench/run.ts hands every scenario: the run's settings and where results are written. */
export interface BenchContext {
  seconds: number;
  connections: number;
  reps: number;
  /** Load each server gets before its measured runs, so that none is measured with a cold JIT. */
  warmupSeconds: number;
  /** Assertions are pre-signed for this rate (x 1.3): a faster run would replay them (non-2xx, reported). */
  expectedRps: number;
  quick: boolean;
  /** Writes one line of the Markdown report. */
  say: (line?: string) => void;
  /** A number as the report prints it. */
  fmt: (n: number) => string;
  /** Median (min–max) of repeated measurements. */
  spread: (xs: number[]) => string;
}

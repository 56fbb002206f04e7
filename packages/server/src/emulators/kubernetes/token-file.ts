/**
 * Writes projected tokens the way the kubelet does: the file is replaced atomically (never
 * seen half-written) and refreshed before expiry, at 80 % of its lifetime by default.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomically(path: string, contents: string): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true });
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, contents, { mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export interface TokenRotation {
  /** Number of completed writes, including the first one. */
  readonly writeCount: number;
  /** The most recent write failure, if the last attempt failed. */
  readonly lastError: Error | undefined;
  stop(): void;
}

export const MIN_ROTATION_INTERVAL_MS = 20;

/** Calls `write` now and then every `intervalMs` until stopped; failures are kept, not thrown. */
export function scheduleRotation(write: () => Promise<void>, intervalMs: number, onStop: () => void): TokenRotation {
  if (!Number.isFinite(intervalMs) || intervalMs < MIN_ROTATION_INTERVAL_MS) {
    throw new RangeError(`rotation interval must be at least ${MIN_ROTATION_INTERVAL_MS} ms`);
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const state = { writeCount: 0, lastError: undefined as Error | undefined };
  const tick = async (): Promise<void> => {
    try {
      await write();
      state.writeCount++;
      state.lastError = undefined;
    } catch (error) {
      state.lastError = error instanceof Error ? error : new Error(String(error));
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), intervalMs);
      timer.unref();
    }
  };
  void tick();
  return {
    get writeCount() {
      return state.writeCount;
    },
    get lastError() {
      return state.lastError;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      onStop();
    },
  };
}

import type { Readable } from 'node:stream';
import { UsageError } from './errors.ts';
import { readTextInput } from './read-input.ts';

const MAX_BODY_BYTES = 1024 * 1024;

export interface BodyFlags {
  body?: string;
  file?: string;
}

/**
 * The request body for create/update: `--body '<json>'` or `--file PATH|-` as a base, then every
 * field flag on top (flags win, so a file can be reused with one field changed).
 */
export async function buildBody(flags: BodyFlags, fields: Record<string, unknown>, stdin: Readable): Promise<Record<string, unknown>> {
  if (flags.body !== undefined && flags.file !== undefined) throw new UsageError('use either --body or --file, not both');
  let base: Record<string, unknown> = {};
  if (flags.body !== undefined) base = parseObject(flags.body, '--body');
  if (flags.file !== undefined) base = parseObject(await readTextInput(flags.file, { stdin, maxBytes: MAX_BODY_BYTES, what: 'body file' }), flags.file);
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) merged[key] = value;
  return merged;
}

export function parseObject(text: string, label: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${label}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${label}: must be a JSON object`);
  return value as Record<string, unknown>;
}

/** Parses a flag holding a JSON value (e.g. `--claims '{"tid":"…"}'`). */
export function parseJsonFlag(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: not valid JSON (${(err as Error).message})`);
  }
}

export function parseInteger(flag: string): (text: string) => number {
  return (text) => {
    if (!/^-?\d{1,15}$/.test(text.trim())) throw new UsageError(`${flag}: expected an integer, got "${text.slice(0, 40)}"`);
    return Number(text.trim());
  };
}

export function parseBoolean(flag: string): (text: string) => boolean {
  return (text) => {
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw new UsageError(`${flag}: expected true or false`);
  };
}

/** `--description ''` means "clear it" (null on the wire). */
export function nullableText(text: string): string | null {
  return text === '' ? null : text;
}

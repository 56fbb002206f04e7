import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CliError, UsageError } from './errors.ts';

/**
 * Reads a text input named on the command line: a path, or `-` for stdin. Capped at `maxBytes`
 * so a wrong path (a device, a huge log) fails fast instead of filling memory.
 */
export async function readTextInput(source: string, options: { stdin: Readable; maxBytes: number; what: string }): Promise<string> {
  if (source === '-') return readStream(options.stdin, options.maxBytes, `${options.what} on stdin`);
  let handle;
  try {
    handle = await open(source, 'r');
  } catch (err) {
    throw new UsageError(`cannot read ${options.what} ${source}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const stream = handle.createReadStream({ autoClose: false });
    return await readStream(stream, options.maxBytes, `${options.what} ${source}`);
  } finally {
    await handle.close();
  }
}

async function readStream(stream: Readable, maxBytes: number, label: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > maxBytes) {
      stream.destroy();
      throw new CliError(`${label} is larger than ${maxBytes} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

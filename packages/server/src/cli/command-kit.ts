import type Anthropic from '@anthropic-ai/sdk';
import type { Command } from 'commander';
import { addConnectionOptions, openAdminClient, type ConnectionFlags } from './connection.ts';
import { UsageError } from './errors.ts';
import { Output, type CliIo } from './output.ts';

/** Shared wiring for commands: `--json`, help examples, and an SDK client from the connection flags. */

export interface AdminContext {
  readonly client: Anthropic;
  readonly out: Output;
  readonly io: CliIo;
}

export const MAX_LIST_ITEMS = 10_000;
export const DEFAULT_LIST_ITEMS = 100;

export function withExamples(command: Command, ...examples: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
}

export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print JSON instead of a table (for scripts)');
}

/** Makes an Admin API sub-command: connection flags, `--json`, and a handler given a ready client. */
export function adminCommand(
  parent: Command,
  io: CliIo,
  spec: { name: string; description: string; examples: string[] },
  handler: (ctx: AdminContext, args: string[], options: Record<string, unknown>) => Promise<void>,
): Command {
  const command = parent.command(spec.name).description(spec.description);
  addConnectionOptions(command);
  addJsonOption(command);
  withExamples(command, ...spec.examples);
  command.action(async (...received: unknown[]) => {
    const self = received[received.length - 1] as Command;
    const options = self.opts<Record<string, unknown> & ConnectionFlags & { json?: boolean }>();
    const args = received.slice(0, self.registeredArguments.length) as string[];
    const out = new Output(io, { json: options.json });
    await handler({ client: openAdminClient(options, io), out, io }, args, options);
  });
  return command;
}

export function listLimitOption(command: Command): Command {
  return command.option('--limit <n>', `stop after this many items (1-${MAX_LIST_ITEMS})`, parseLimit, DEFAULT_LIST_ITEMS);
}

function parseLimit(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIST_ITEMS) throw new UsageError(`--limit: expected 1-${MAX_LIST_ITEMS}`);
  return value;
}

/** Drains an SDK auto-paginating list, up to `limit` items. */
export async function collect<Item>(pages: AsyncIterable<Item>, limit: number): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of pages) {
    items.push(item);
    if (items.length >= limit) break;
  }
  return items;
}

export function archivedMark(archivedAt: string | null): string {
  return archivedAt === null ? '' : `archived ${archivedAt}`;
}

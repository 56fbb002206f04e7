import type { Command } from 'commander';
import { adminCommand } from '../command-kit.ts';
import { UsageError } from '../errors.ts';
import type { CliIo } from '../output.ts';

/** The event fields the CLI shows; the endpoint is an OpenWIF extension (spec §8), read loosely. */
interface EventView {
  created_at?: string;
  outcome?: string;
  reason?: string | null;
  federation_rule_id?: string;
  subject?: string | null;
  service_account_id?: string | null;
  workspace_id?: string | null;
  request_id?: string;
}

const MAX_EVENTS = 1000;

export function registerEventCommands(program: Command, io: CliIo): void {
  const events = program.command('events').description('token-exchange history (OpenWIF extension)');
  adminCommand(
    events,
    io,
    {
      name: 'list',
      description: 'recent exchange attempts, newest first',
      examples: ['openwif events list --outcome denied', 'openwif events list --rule fdrl_01... --reason match_subject_prefix --json'],
    },
    async (ctx, _args, opts) => {
      const query: Record<string, string | number> = { limit: Math.min(opts.limit as number, 100) };
      if (typeof opts.rule === 'string') query.federation_rule_id = opts.rule;
      if (typeof opts.outcome === 'string') query.outcome = opts.outcome;
      if (typeof opts.reason === 'string') query.reason = opts.reason;
      const items = await fetchEvents(ctx.client, query, opts.limit as number);
      ctx.out.list(items, [
        { header: 'time', value: (e: EventView) => e.created_at },
        { header: 'outcome', value: (e) => (e.outcome === 'success' ? ctx.out.color.green(e.outcome) : ctx.out.color.red(e.outcome ?? '?')) },
        { header: 'reason', value: (e) => e.reason },
        { header: 'rule', value: (e) => e.federation_rule_id },
        { header: 'subject', value: (e) => e.subject },
        { header: 'request', value: (e) => e.request_id },
      ]);
    },
  )
    .option('--rule <id>', 'only attempts against this rule')
    .option('--outcome <outcome>', 'success or denied', (v: string) => {
      if (v !== 'success' && v !== 'denied') throw new UsageError('--outcome: expected success or denied');
      return v;
    })
    .option('--reason <code>', 'only denials with this reason code (see docs/reason-codes.md)')
    .option(
      '--limit <n>',
      `at most this many events (1-${MAX_EVENTS})`,
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > MAX_EVENTS) throw new UsageError(`--limit: expected 1-${MAX_EVENTS}`);
        return n;
      },
      50,
    );
}

/** Follows `next_page` cursors with the SDK's generic GET until `limit` events are collected. */
async function fetchEvents(client: import('@anthropic-ai/sdk').default, query: Record<string, string | number>, limit: number): Promise<EventView[]> {
  const events: EventView[] = [];
  let page: string | null = null;
  do {
    const response: { data?: unknown; next_page?: unknown } = await client.get('/v1/organizations/federation_events', {
      query: page === null ? query : { ...query, page },
    });
    if (!Array.isArray(response.data)) throw new Error('unexpected response from federation_events: no data array');
    events.push(...(response.data as EventView[]));
    page = typeof response.next_page === 'string' && response.next_page !== '' ? response.next_page : null;
  } while (page !== null && events.length < limit);
  return events.slice(0, limit);
}

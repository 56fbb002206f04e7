import type { Kysely, Selectable } from 'kysely';
import type { AuthEvent, AuthOutcome } from '../../domain/types.ts';
import type { AuthEventQuery, AuthEventStore, CursorPage } from '../ports.ts';
import { fetchNewestFirst, olderThan, toPage } from './cursor.ts';
import { GroupCommit } from './group-commit.ts';
import type { Database } from './schema.ts';

type Row = Selectable<Database['auth_events']>;

function fromRow(r: Row): AuthEvent {
  const { claims_json, ...rest } = r;
  return { ...rest, outcome: r.outcome as AuthOutcome, claims: claims_json === null ? null : (JSON.parse(claims_json) as Record<string, unknown>) };
}

export function eventToRow(event: AuthEvent): Row {
  const { claims, ...rest } = event;
  return { ...rest, claims_json: claims === null ? null : JSON.stringify(claims) };
}

export async function insertEvents(db: Kysely<Database>, events: AuthEvent[]): Promise<void> {
  await db.insertInto('auth_events').values(events.map(eventToRow)).execute();
}

export class SqlAuthEventStore implements AuthEventStore {
  /** Denials are group-committed like mints, so a flood of bad assertions shares commits too. */
  private readonly commits: GroupCommit<AuthEvent, void>;

  /** `writeBatch`: where recorded events are written (on SQLite files, the writer thread). */
  constructor(
    private readonly db: Kysely<Database>,
    writeBatch: (events: AuthEvent[]) => Promise<void> = (events) => insertEvents(db, events),
  ) {
    this.commits = new GroupCommit<AuthEvent, void>(async (events) => {
      await writeBatch(events);
      return events.map(() => undefined);
    });
  }

  record(event: AuthEvent): Promise<void> {
    return this.commits.submit(event);
  }

  /** Resolves once every event recorded so far is written (or has failed). */
  drain(): Promise<void> {
    return this.commits.drain();
  }

  async list(organizationId: string, q: AuthEventQuery): Promise<CursorPage<AuthEvent>> {
    let query = this.db.selectFrom('auth_events').selectAll().where('organization_id', '=', organizationId).where(olderThan(q.cursor, 'auth_events'));
    if (q.ruleId !== null) query = query.where('federation_rule_id', '=', q.ruleId);
    if (q.outcome !== null) query = query.where('outcome', '=', q.outcome);
    if (q.reason !== null) query = query.where('reason', '=', q.reason);
    if (q.issuerId) query = query.where('issuer_id', '=', q.issuerId);
    if (q.createdAfter) query = query.where('created_at', '>=', q.createdAfter);
    if (q.createdBefore) query = query.where('created_at', '<', q.createdBefore);
    const rows = await fetchNewestFirst(query, q.limit);
    return toPage(rows, q.limit, (r) => r.id, fromRow);
  }

  async get(organizationId: string, id: string): Promise<AuthEvent | null> {
    const row = await this.db.selectFrom('auth_events').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async deleteOlderThan(cutoff: string): Promise<number> {
    const res = await this.db.deleteFrom('auth_events').where('created_at', '<', cutoff).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

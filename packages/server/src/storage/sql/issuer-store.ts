import type { Kysely, Selectable } from 'kysely';
import type { Issuer, JwksConfig, PollStatus } from '../../domain/types.ts';
import type { CursorPage, CursorQuery, IssuerStore } from '../ports.ts';
import { fetchNewestFirst, olderThan, toPage } from './cursor.ts';
import { auditFields, withUniqueName } from './row-conventions.ts';
import type { Database } from './schema.ts';

type Row = Selectable<Database['federation_issuers']>;

function fromRow(r: Row): Issuer {
  const jwks = JSON.parse(r.jwks_json) as JwksConfig;
  const polled = jwks.type !== 'inline' && (r.poll_last_fetched_at !== null || r.poll_next_poll_at !== null || Number(r.poll_consecutive_failures) > 0);
  return {
    id: r.id,
    organization_id: r.organization_id,
    name: r.name,
    issuer_url: r.issuer_url,
    jwks,
    check_jti: Number(r.check_jti) === 1,
    max_jwt_lifetime_seconds: Number(r.max_jwt_lifetime_seconds),
    jwks_polling_disabled_at: r.jwks_polling_disabled_at,
    poll_status: polled
      ? {
          consecutive_failures: Number(r.poll_consecutive_failures),
          last_fetched_at: r.poll_last_fetched_at,
          next_poll_at: r.poll_next_poll_at,
        }
      : null,
    ...auditFields(r),
  };
}

function toRow(i: Issuer): Row {
  return {
    id: i.id,
    organization_id: i.organization_id,
    name: i.name,
    issuer_url: i.issuer_url,
    jwks_json: JSON.stringify(i.jwks),
    check_jti: i.check_jti ? 1 : 0,
    max_jwt_lifetime_seconds: i.max_jwt_lifetime_seconds,
    jwks_polling_disabled_at: i.jwks_polling_disabled_at,
    poll_consecutive_failures: i.poll_status?.consecutive_failures ?? 0,
    poll_last_fetched_at: i.poll_status?.last_fetched_at ?? null,
    poll_next_poll_at: i.poll_status?.next_poll_at ?? null,
    ...auditFields(i),
  };
}

const nameTaken = (issuer: Issuer) => `A federation issuer named "${issuer.name}" already exists.`;

export class SqlIssuerStore implements IssuerStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(organizationId: string, id: string): Promise<Issuer | null> {
    const row = await this.db
      .selectFrom('federation_issuers')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(organizationId: string, q: CursorQuery & { includeArchived: boolean }): Promise<CursorPage<Issuer>> {
    let query = this.db
      .selectFrom('federation_issuers')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where(olderThan(q.cursor, 'federation_issuers'));
    if (!q.includeArchived) query = query.where('archived_at', 'is', null);
    const rows = await fetchNewestFirst(query, q.limit);
    return toPage(rows, q.limit, (r) => r.id, fromRow);
  }

  async insert(issuer: Issuer): Promise<void> {
    await withUniqueName(() => this.db.insertInto('federation_issuers').values(toRow(issuer)).execute(), nameTaken(issuer));
  }

  async update(issuer: Issuer): Promise<void> {
    const { id, ...rest } = toRow(issuer);
    await withUniqueName(() => this.db.updateTable('federation_issuers').set(rest).where('id', '=', id).execute(), nameTaken(issuer));
  }

  async listPollable(): Promise<Issuer[]> {
    const rows = await this.db.selectFrom('federation_issuers').selectAll().where('archived_at', 'is', null).execute();
    return rows.map(fromRow).filter((i) => i.jwks.type !== 'inline');
  }

  async recordPoll(id: string, status: PollStatus, pollingDisabledAt: string | null): Promise<void> {
    await this.db
      .updateTable('federation_issuers')
      .set({
        poll_consecutive_failures: status.consecutive_failures,
        poll_last_fetched_at: status.last_fetched_at,
        poll_next_poll_at: status.next_poll_at,
        jwks_polling_disabled_at: pollingDisabledAt,
      })
      .where('id', '=', id)
      .execute();
  }
}

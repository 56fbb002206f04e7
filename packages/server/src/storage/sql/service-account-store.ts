import type { Kysely, Selectable } from 'kysely';
import type { Membership, OrganizationRole, ServiceAccount, WorkspaceRole } from '../../domain/types.ts';
import type { CursorPage, CursorQuery, MembershipStore, ServiceAccountStore } from '../ports.ts';
import { fetchNewestFirst, olderThan, toPage } from './cursor.ts';
import { withUniqueName } from './row-conventions.ts';
import type { Database } from './schema.ts';

type Row = Selectable<Database['service_accounts']>;

function fromRow(r: Row): ServiceAccount {
  return { ...r, organization_role: r.organization_role as OrganizationRole };
}

export class SqlServiceAccountStore implements ServiceAccountStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(organizationId: string, id: string): Promise<ServiceAccount | null> {
    const row = await this.db.selectFrom('service_accounts').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(organizationId: string, q: CursorQuery & { includeArchived: boolean }): Promise<CursorPage<ServiceAccount>> {
    let query = this.db.selectFrom('service_accounts').selectAll().where('organization_id', '=', organizationId).where(olderThan(q.cursor, 'service_accounts'));
    if (!q.includeArchived) query = query.where('archived_at', 'is', null);
    const rows = await fetchNewestFirst(query, q.limit);
    return toPage(rows, q.limit, (r) => r.id, fromRow);
  }

  async insert(account: ServiceAccount): Promise<void> {
    await withUniqueName(() => this.db.insertInto('service_accounts').values(account).execute(), `A service account named "${account.name}" already exists.`);
  }

  async update(account: ServiceAccount): Promise<void> {
    const { id, ...rest } = account;
    await this.db.updateTable('service_accounts').set(rest).where('id', '=', id).execute();
  }
}

type MembershipRow = Selectable<Database['memberships']>;
const membershipFromRow = (r: MembershipRow): Membership => ({ ...r, workspace_role: r.workspace_role as WorkspaceRole });

export class SqlMembershipStore implements MembershipStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(serviceAccountId: string, workspaceId: string): Promise<Membership | null> {
    const row = await this.db
      .selectFrom('memberships')
      .selectAll()
      .where('service_account_id', '=', serviceAccountId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    return row ? membershipFromRow(row) : null;
  }

  async upsert(m: Membership): Promise<Membership> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('memberships')
        .selectAll()
        .where('service_account_id', '=', m.service_account_id)
        .where('workspace_id', '=', m.workspace_id)
        .executeTakeFirst();
      if (existing) {
        await tx
          .updateTable('memberships')
          .set({ workspace_role: m.workspace_role })
          .where('service_account_id', '=', m.service_account_id)
          .where('workspace_id', '=', m.workspace_id)
          .execute();
        return membershipFromRow({ ...existing, workspace_role: m.workspace_role });
      }
      await tx.insertInto('memberships').values(m).execute();
      return m;
    });
  }

  async delete(serviceAccountId: string, workspaceId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('memberships')
      .where('service_account_id', '=', serviceAccountId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async listForServiceAccount(serviceAccountId: string, q: CursorQuery): Promise<CursorPage<Membership>> {
    const rows = await this.db
      .selectFrom('memberships')
      .selectAll()
      .where('service_account_id', '=', serviceAccountId)
      .where(olderThanMembership(q.cursor, 'workspace_id'))
      .orderBy('created_at', 'desc')
      .orderBy('workspace_id', 'desc')
      .limit(q.limit + 1)
      .execute();
    return toPage(rows, q.limit, (r) => r.workspace_id, membershipFromRow);
  }

  async listForWorkspace(workspaceId: string, q: CursorQuery): Promise<CursorPage<Membership>> {
    const rows = await this.db
      .selectFrom('memberships')
      .innerJoin('service_accounts', 'service_accounts.id', 'memberships.service_account_id')
      .selectAll('memberships')
      .where('memberships.workspace_id', '=', workspaceId)
      .where('service_accounts.archived_at', 'is', null)
      .where(olderThanMembership(q.cursor, 'service_account_id'))
      .orderBy('memberships.created_at', 'desc')
      .orderBy('memberships.service_account_id', 'desc')
      .limit(q.limit + 1)
      .execute();
    return toPage(rows, q.limit, (r) => r.service_account_id, membershipFromRow);
  }
}

/** Membership rows have a composite key; the cursor's id slot holds the varying half. */
function olderThanMembership(cursor: string | null, idColumn: 'workspace_id' | 'service_account_id') {
  return olderThan(cursor, 'memberships', `memberships.${idColumn}`);
}

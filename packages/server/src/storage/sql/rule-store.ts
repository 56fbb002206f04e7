import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Rule, RuleMatch, RuleWorkspace } from '../../domain/types.ts';
import type { CursorPage, RuleListQuery, RuleStore } from '../ports.ts';
import { fetchNewestFirst, olderThan, toPage } from './cursor.ts';
import { auditFields, withUniqueName } from './row-conventions.ts';
import type { Database } from './schema.ts';

type Row = Selectable<Database['federation_rules']>;

function fromRow(r: Row, workspaceIds: string[]): Rule {
  return {
    id: r.id,
    organization_id: r.organization_id,
    name: r.name,
    description: r.description,
    issuer_id: r.issuer_id,
    match: JSON.parse(r.match_json) as RuleMatch,
    target_service_account_id: r.target_service_account_id,
    oauth_scope: r.oauth_scope,
    token_lifetime_seconds: Number(r.token_lifetime_seconds),
    applies_to_all_workspaces: Number(r.applies_to_all_workspaces) === 1,
    workspace_ids: workspaceIds,
    ...auditFields(r),
  };
}

function toRow(r: Rule): Row {
  return {
    id: r.id,
    organization_id: r.organization_id,
    name: r.name,
    description: r.description,
    issuer_id: r.issuer_id,
    match_json: JSON.stringify(r.match),
    target_service_account_id: r.target_service_account_id,
    oauth_scope: r.oauth_scope,
    token_lifetime_seconds: r.token_lifetime_seconds,
    applies_to_all_workspaces: r.applies_to_all_workspaces ? 1 : 0,
    ...auditFields(r),
  };
}

type Where = { issuerId?: string; targetServiceAccountId?: string };

export class SqlRuleStore implements RuleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(organizationId: string, id: string): Promise<Rule | null> {
    const rule = await this.getById(id);
    return rule?.organization_id === organizationId ? rule : null;
  }

  async getById(id: string): Promise<Rule | null> {
    const row = await this.db.selectFrom('federation_rules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return fromRow(row, await this.workspaceIdsOf([id]).then((m) => m.get(id) ?? []));
  }

  async list(organizationId: string, q: RuleListQuery): Promise<CursorPage<Rule>> {
    let query = this.db.selectFrom('federation_rules').selectAll().where('organization_id', '=', organizationId).where(olderThan(q.cursor, 'federation_rules'));
    if (!q.includeArchived) query = query.where('archived_at', 'is', null);
    if (q.issuerId !== null) query = query.where('issuer_id', '=', q.issuerId);
    const rows = await fetchNewestFirst(query, q.limit);
    const ids = await this.workspaceIdsOf(rows.map((r) => r.id));
    return toPage(
      rows,
      q.limit,
      (r) => r.id,
      (r) => fromRow(r, ids.get(r.id) ?? []),
    );
  }

  async insert(rule: Rule): Promise<void> {
    await this.withNameCheck(rule, async (tx) => {
      await tx.insertInto('federation_rules').values(toRow(rule)).execute();
      await this.replaceEnablements(tx, rule);
    });
  }

  async update(rule: Rule): Promise<void> {
    await this.withNameCheck(rule, async (tx) => {
      const { id, ...rest } = toRow(rule);
      await tx.updateTable('federation_rules').set(rest).where('id', '=', id).execute();
      await this.replaceEnablements(tx, rule);
    });
  }

  async countLive(where: Where): Promise<number> {
    let query = this.db
      .selectFrom('federation_rules')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('archived_at', 'is', null);
    if (where.issuerId !== undefined) query = query.where('issuer_id', '=', where.issuerId);
    if (where.targetServiceAccountId !== undefined) query = query.where('target_service_account_id', '=', where.targetServiceAccountId);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  async listLive(where: Where): Promise<Rule[]> {
    let query = this.db.selectFrom('federation_rules').selectAll().where('archived_at', 'is', null);
    if (where.issuerId !== undefined) query = query.where('issuer_id', '=', where.issuerId);
    if (where.targetServiceAccountId !== undefined) query = query.where('target_service_account_id', '=', where.targetServiceAccountId);
    const rows = await query.orderBy('created_at', 'desc').execute();
    const ids = await this.workspaceIdsOf(rows.map((r) => r.id));
    return rows.map((r) => fromRow(r, ids.get(r.id) ?? []));
  }

  async listWorkspaces(ruleId: string): Promise<RuleWorkspace[]> {
    return this.db.selectFrom('rule_workspaces').selectAll().where('federation_rule_id', '=', ruleId).orderBy('created_at').orderBy('workspace_id').execute();
  }

  async enableWorkspace(e: RuleWorkspace): Promise<RuleWorkspace> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('rule_workspaces')
        .selectAll()
        .where('federation_rule_id', '=', e.federation_rule_id)
        .where('workspace_id', '=', e.workspace_id)
        .executeTakeFirst();
      if (existing) return existing;
      await tx.insertInto('rule_workspaces').values(e).execute();
      return e;
    });
  }

  async disableWorkspace(ruleId: string, workspaceId: string): Promise<void> {
    await this.db.deleteFrom('rule_workspaces').where('federation_rule_id', '=', ruleId).where('workspace_id', '=', workspaceId).execute();
  }

  private withNameCheck(rule: Rule, work: (tx: Transaction<Database>) => Promise<void>): Promise<void> {
    return withUniqueName(() => this.db.transaction().execute(work), `A federation rule named "${rule.name}" already exists.`);
  }

  /** Keeps the enablement rows equal to `rule.workspace_ids`, preserving rows that stay. */
  private async replaceEnablements(tx: Transaction<Database>, rule: Rule): Promise<void> {
    const current = await tx.selectFrom('rule_workspaces').select('workspace_id').where('federation_rule_id', '=', rule.id).execute();
    const have = new Set(current.map((r) => r.workspace_id));
    const want = new Set(rule.workspace_ids);
    const removed = [...have].filter((id) => !want.has(id));
    if (removed.length > 0) {
      await tx.deleteFrom('rule_workspaces').where('federation_rule_id', '=', rule.id).where('workspace_id', 'in', removed).execute();
    }
    const added = [...want].filter((id) => !have.has(id));
    if (added.length > 0) {
      await tx
        .insertInto('rule_workspaces')
        .values(
          added.map((workspace_id) => ({
            federation_rule_id: rule.id,
            workspace_id,
            created_at: rule.updated_at,
            created_by_actor_id: rule.updated_by_actor_id,
          })),
        )
        .execute();
    }
  }

  private async workspaceIdsOf(ruleIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (ruleIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('rule_workspaces')
      .select(['federation_rule_id', 'workspace_id'])
      .where('federation_rule_id', 'in', ruleIds)
      .orderBy('created_at')
      .orderBy('workspace_id')
      .execute();
    for (const r of rows) out.set(r.federation_rule_id, [...(out.get(r.federation_rule_id) ?? []), r.workspace_id]);
    return out;
  }
}

import type { Kysely, Selectable } from 'kysely';
import type { Workspace } from '../../domain/types.ts';
import type { WorkspaceListQuery, WorkspaceStore } from '../ports.ts';
import type { Database } from './schema.ts';

type Row = Selectable<Database['workspaces']>;

export function workspaceToRow(w: Workspace): Row {
  return {
    id: w.id,
    organization_id: w.organization_id,
    name: w.name,
    is_default: w.is_default ? 1 : 0,
    display_color: w.display_color,
    tags_json: JSON.stringify(w.tags),
    data_residency_json: JSON.stringify(w.data_residency),
    created_at: w.created_at,
    archived_at: w.archived_at,
  };
}

function fromRow(r: Row): Workspace {
  return {
    id: r.id,
    organization_id: r.organization_id,
    name: r.name,
    is_default: Number(r.is_default) === 1,
    display_color: r.display_color,
    tags: JSON.parse(r.tags_json) as Workspace['tags'],
    data_residency: JSON.parse(r.data_residency_json) as Workspace['data_residency'],
    created_at: r.created_at,
    archived_at: r.archived_at,
  };
}

export class SqlWorkspaceStore implements WorkspaceStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(organizationId: string, id: string): Promise<Workspace | null> {
    const row = await this.db.selectFrom('workspaces').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async getDefault(organizationId: string): Promise<Workspace> {
    const row = await this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('is_default', '=', 1)
      .executeTakeFirstOrThrow();
    return fromRow(row);
  }

  async list(organizationId: string, q: WorkspaceListQuery): Promise<{ items: Workspace[]; hasMore: boolean }> {
    let query = this.db.selectFrom('workspaces').selectAll().where('organization_id', '=', organizationId);
    if (!q.includeArchived) query = query.where('archived_at', 'is', null);
    if (!q.includeDefault) query = query.where('is_default', '=', 0);
    if (q.ids !== null) query = query.where('id', 'in', q.ids.length > 0 ? q.ids : ['']);
    const backward = q.beforeId !== null && q.afterId === null;
    const anchorId = backward ? q.beforeId : q.afterId;
    if (anchorId !== null) {
      const anchor = await this.db.selectFrom('workspaces').select(['created_at', 'id']).where('id', '=', anchorId).executeTakeFirst();
      if (anchor) {
        const op = backward ? '<' : '>';
        query = query.where((eb) =>
          eb.or([eb('created_at', op, anchor.created_at), eb.and([eb('created_at', '=', anchor.created_at), eb('id', op, anchor.id)])]),
        );
      }
    }
    const dir = backward ? 'desc' : 'asc';
    const rows = await query
      .orderBy('created_at', dir)
      .orderBy('id', dir)
      .limit(q.limit + 1)
      .execute();
    const hasMore = rows.length > q.limit;
    const page = rows.slice(0, q.limit).map(fromRow);
    return { items: backward ? page.reverse() : page, hasMore };
  }

  async insert(workspace: Workspace): Promise<void> {
    await this.db.insertInto('workspaces').values(workspaceToRow(workspace)).execute();
  }

  async update(workspace: Workspace): Promise<void> {
    const { id, ...rest } = workspaceToRow(workspace);
    await this.db.updateTable('workspaces').set(rest).where('id', '=', id).execute();
  }
}

import type {
  ServiceAccount,
  ServiceAccountCreateParams,
  ServiceAccountUpdateParams,
  ServiceAccountWorkspaceMember,
} from '@anthropic-ai/sdk/resources/organization/service-accounts/service-accounts';
import type { Command } from 'commander';
import { adminCommand, archivedMark, collect, listLimitOption } from '../command-kit.ts';
import { UsageError } from '../errors.ts';
import { buildBody, nullableText } from '../json-body.ts';
import type { CliIo } from '../output.ts';
import { parseWorkspaceRole } from './workspace-roles.ts';

const SA_FIELDS = ['id', 'name', 'description', 'organization_role', 'created_at', 'updated_at', 'archived_at'];

export const MEMBERSHIP_COLUMNS = [
  { header: 'workspace id', value: (m: ServiceAccountWorkspaceMember) => m.workspace_id },
  { header: 'service account id', value: (m: ServiceAccountWorkspaceMember) => m.service_account_id },
  { header: 'role', value: (m: ServiceAccountWorkspaceMember) => m.workspace_role },
  { header: 'implicit', value: (m: ServiceAccountWorkspaceMember) => (m.implicit === true ? 'yes' : 'no') },
];

export function registerServiceAccountCommands(program: Command, io: CliIo): void {
  const sas = program.command('service-accounts').description('service accounts: the identities minted tokens act as');
  const api = (ctx: { client: import('@anthropic-ai/sdk').default }) => ctx.client.organization.serviceAccounts;

  listLimitOption(
    adminCommand(sas, io, { name: 'list', description: 'list service accounts', examples: ['openwif service-accounts list'] }, async (ctx, _args, opts) => {
      const items = await collect(api(ctx).list({ include_archived: opts.includeArchived === true, limit: 100 }), opts.limit as number);
      ctx.out.list(items, [
        { header: 'name', value: (s: ServiceAccount) => s.name },
        { header: 'id', value: (s) => s.id },
        { header: 'role', value: (s) => s.organization_role },
        { header: 'description', value: (s) => s.description },
        { header: 'status', value: (s) => archivedMark(s.archived_at) || 'active' },
      ]);
    }).option('--include-archived', 'include archived service accounts'),
  );

  adminCommand(
    sas,
    io,
    { name: 'get <service-account>', description: 'show one service account', examples: ['openwif service-accounts get svac_01...'] },
    async (ctx, [id]) => {
      ctx.out.object(await api(ctx).retrieve(id!), SA_FIELDS);
    },
  );

  fieldOptions(
    adminCommand(
      sas,
      io,
      {
        name: 'create',
        description: 'create a service account',
        examples: ['openwif service-accounts create --name inference-worker --description "batch inference"'],
      },
      async (ctx, _args, opts) => {
        const body = await buildBody(opts, { name: opts.name, ...mutableFields(opts) }, ctx.io.stdin);
        ctx.out.object(await api(ctx).create(body as unknown as ServiceAccountCreateParams), SA_FIELDS);
      },
    ).option('--name <name>', 'slug, unique; cannot be changed later'),
  );

  fieldOptions(
    adminCommand(
      sas,
      io,
      {
        name: 'update <service-account>',
        description: 'change description or organization role',
        examples: ['openwif service-accounts update svac_01... --description ""'],
      },
      async (ctx, [id], opts) => {
        const body = await buildBody(opts, mutableFields(opts), ctx.io.stdin);
        if (Object.keys(body).length === 0) throw new UsageError('nothing to update: give --description, --role, --body or --file');
        ctx.out.object(await api(ctx).update(id!, body as ServiceAccountUpdateParams), SA_FIELDS);
      },
    ),
  );

  adminCommand(
    sas,
    io,
    {
      name: 'archive <service-account>',
      description: 'archive (refused while live rules target it)',
      examples: ['openwif service-accounts archive svac_01...'],
    },
    async (ctx, [id]) => {
      ctx.out.object(await api(ctx).archive(id!), SA_FIELDS);
    },
  );

  const workspaces = sas.command('workspaces').description("a service account's workspace memberships");
  adminCommand(
    workspaces,
    io,
    {
      name: 'list <service-account>',
      description: 'list memberships (the implicit Default one included)',
      examples: ['openwif service-accounts workspaces list svac_01...'],
    },
    async (ctx, [id]) => {
      ctx.out.list(await collect(api(ctx).workspaces.list(id!, { limit: 100 }), 10_000), MEMBERSHIP_COLUMNS);
    },
  );
  adminCommand(
    workspaces,
    io,
    {
      name: 'add <service-account> <workspace>',
      description: 'add to a workspace, or change the role',
      examples: ['openwif service-accounts workspaces add svac_01... wrkspc_01... --role workspace_developer'],
    },
    async (ctx, [id, workspace], opts) => {
      ctx.out.object(await api(ctx).workspaces.add(id!, { workspace_id: workspace!, workspace_role: opts.role as never }));
    },
  ).option('--role <role>', 'workspace role', parseWorkspaceRole, 'workspace_user');
  adminCommand(
    workspaces,
    io,
    {
      name: 'remove <service-account> <workspace>',
      description: 'remove from a workspace',
      examples: ['openwif service-accounts workspaces remove svac_01... wrkspc_01...'],
    },
    async (ctx, [id, workspace]) => {
      ctx.out.object(await api(ctx).workspaces.remove(workspace!, { service_account_id: id! }));
    },
  );
}

function fieldOptions(command: Command): Command {
  return command
    .option('--description <text>', 'free text ("" clears it)')
    .option('--role <role>', 'organization role: developer or admin')
    .option('--body <json>', 'the whole request body as JSON (flags override its fields)')
    .option('--file <path>', 'read the request body from a JSON file (- for stdin)');
}

function mutableFields(opts: Record<string, unknown>): Record<string, unknown> {
  if (opts.role !== undefined && opts.role !== 'developer' && opts.role !== 'admin') throw new UsageError('--role: expected developer or admin');
  return { description: typeof opts.description === 'string' ? nullableText(opts.description) : undefined, organization_role: opts.role };
}

import type { Workspace, WorkspaceCreateParams, WorkspaceUpdateParams } from '@anthropic-ai/sdk/resources/organization/workspaces/workspaces';
import type { Command } from 'commander';
import { adminCommand, archivedMark, collect, listLimitOption } from '../command-kit.ts';
import { UsageError } from '../errors.ts';
import { buildBody } from '../json-body.ts';
import type { CliIo } from '../output.ts';
import { MEMBERSHIP_COLUMNS } from './service-accounts.ts';
import { parseWorkspaceRole } from './workspace-roles.ts';

const WORKSPACE_FIELDS = ['id', 'name', 'display_color', 'tags', 'data_residency', 'created_at', 'archived_at'];

export function registerWorkspaceCommands(program: Command, io: CliIo): void {
  const workspaces = program.command('workspaces').description('workspaces: where minted tokens are scoped (quota, billing, resources)');
  const api = (ctx: { client: import('@anthropic-ai/sdk').default }) => ctx.client.organization.workspaces;

  listLimitOption(
    adminCommand(
      workspaces,
      io,
      { name: 'list', description: 'list workspaces (Default included)', examples: ['openwif workspaces list', 'openwif workspaces list --include-archived'] },
      async (ctx, _args, opts) => {
        const items = await collect(
          api(ctx).list({ include_archived: opts.includeArchived === true, include_default: true, limit: 100 }),
          opts.limit as number,
        );
        ctx.out.list(items, [
          { header: 'name', value: (w: Workspace) => w.name },
          { header: 'id', value: (w) => w.id },
          { header: 'created', value: (w) => w.created_at },
          { header: 'status', value: (w) => archivedMark(w.archived_at) || 'active' },
        ]);
      },
    ).option('--include-archived', 'include archived workspaces'),
  );

  adminCommand(
    workspaces,
    io,
    { name: 'get <workspace>', description: 'show one workspace', examples: ['openwif workspaces get wrkspc_01...'] },
    async (ctx, [id]) => {
      ctx.out.object(await api(ctx).retrieve(id!), WORKSPACE_FIELDS);
    },
  );

  fieldOptions(
    adminCommand(
      workspaces,
      io,
      { name: 'create', description: 'create a workspace', examples: ['openwif workspaces create --name team-a'] },
      async (ctx, _args, opts) => {
        const body = await buildBody(opts, { name: opts.name, display_color: opts.color }, ctx.io.stdin);
        ctx.out.object(await api(ctx).create(body as unknown as WorkspaceCreateParams), WORKSPACE_FIELDS);
      },
    ),
  );

  fieldOptions(
    adminCommand(
      workspaces,
      io,
      { name: 'update <workspace>', description: 'rename or recolor a workspace', examples: ['openwif workspaces update wrkspc_01... --name team-b'] },
      async (ctx, [id], opts) => {
        const body = await buildBody(opts, { name: opts.name, display_color: opts.color }, ctx.io.stdin);
        if (Object.keys(body).length === 0) throw new UsageError('nothing to update: give --name, --color, --body or --file');
        ctx.out.object(await api(ctx).update(id!, body as WorkspaceUpdateParams), WORKSPACE_FIELDS);
      },
    ),
  );

  adminCommand(
    workspaces,
    io,
    { name: 'archive <workspace>', description: 'archive a workspace (irreversible)', examples: ['openwif workspaces archive wrkspc_01...'] },
    async (ctx, [id]) => {
      ctx.out.object(await api(ctx).archive(id!), WORKSPACE_FIELDS);
    },
  );

  const members = workspaces.command('service-accounts').description("a workspace's service-account members");
  const sas = (ctx: { client: import('@anthropic-ai/sdk').default }) => api(ctx).serviceAccounts;
  adminCommand(
    members,
    io,
    { name: 'list <workspace>', description: 'list explicit members', examples: ['openwif workspaces service-accounts list wrkspc_01...'] },
    async (ctx, [workspace]) => {
      ctx.out.list(await collect(sas(ctx).list(workspace!, { limit: 100 }), 10_000), MEMBERSHIP_COLUMNS);
    },
  );
  adminCommand(
    members,
    io,
    {
      name: 'get <workspace> <service-account>',
      description: 'show one membership',
      examples: ['openwif workspaces service-accounts get wrkspc_01... svac_01...'],
    },
    async (ctx, [workspace, sa]) => {
      ctx.out.object(await sas(ctx).retrieve(sa!, { workspace_id: workspace! }));
    },
  );
  adminCommand(
    members,
    io,
    {
      name: 'add <workspace> <service-account>',
      description: 'add a member (or change its role)',
      examples: ['openwif workspaces service-accounts add wrkspc_01... svac_01... --role workspace_developer'],
    },
    async (ctx, [workspace, sa], opts) => {
      ctx.out.object(await sas(ctx).add(workspace!, { service_account_id: sa!, workspace_role: opts.role as never }));
    },
  ).option('--role <role>', 'workspace role', parseWorkspaceRole, 'workspace_user');
  adminCommand(
    members,
    io,
    {
      name: 'update <workspace> <service-account>',
      description: "change an explicit member's role",
      examples: ['openwif workspaces service-accounts update wrkspc_01... svac_01... --role workspace_admin'],
    },
    async (ctx, [workspace, sa], opts) => {
      if (opts.role === undefined) throw new UsageError('--role is required');
      ctx.out.object(await sas(ctx).update(sa!, { workspace_id: workspace!, workspace_role: opts.role as never }));
    },
  ).option('--role <role>', 'workspace role', parseWorkspaceRole);
  adminCommand(
    members,
    io,
    {
      name: 'remove <workspace> <service-account>',
      description: 'remove a member',
      examples: ['openwif workspaces service-accounts remove wrkspc_01... svac_01...'],
    },
    async (ctx, [workspace, sa]) => {
      ctx.out.object(await sas(ctx).remove(sa!, { workspace_id: workspace! }));
    },
  );
}

function fieldOptions(command: Command): Command {
  return command
    .option('--name <name>', 'workspace name')
    .option('--color <hex>', 'display color, e.g. #6C5BB9')
    .option('--body <json>', 'the whole request body as JSON (flags override its fields)')
    .option('--file <path>', 'read the request body from a JSON file (- for stdin)');
}

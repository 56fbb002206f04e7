import type {
  FederationRule,
  FederationRuleWorkspace,
  RuleCreateParams,
  RuleUpdateParams,
} from '@anthropic-ai/sdk/resources/organization/federation/rules/rules';
import type { Command } from 'commander';
import { adminCommand, archivedMark, collect, listLimitOption } from '../command-kit.ts';
import { UsageError } from '../errors.ts';
import { buildBody, nullableText, parseBoolean, parseInteger, parseJsonFlag } from '../json-body.ts';
import type { CliIo } from '../output.ts';
import { registerRuleDiagnostics } from './rule-diagnostics.ts';

const RULE_FIELDS = [
  'id',
  'name',
  'description',
  'issuer_id',
  'issuer_name',
  'match',
  'target',
  'oauth_scope',
  'token_lifetime_seconds',
  'applies_to_all_workspaces',
  'workspace_ids',
  'created_at',
  'updated_at',
  'archived_at',
];

export function registerRuleCommands(program: Command, io: CliIo): void {
  const rules = program.command('rules').description('federation rules: which tokens qualify and what they become');
  const api = (ctx: { client: import('@anthropic-ai/sdk').default }) => ctx.client.organization.federation.rules;

  listLimitOption(
    adminCommand(
      rules,
      io,
      { name: 'list', description: 'list rules', examples: ['openwif rules list', 'openwif rules list --issuer fdis_01ABC... --json'] },
      async (ctx, _args, opts) => {
        const query = { include_archived: opts.includeArchived === true, limit: 100, ...(typeof opts.issuer === 'string' ? { issuer_id: opts.issuer } : {}) };
        const items = await collect(api(ctx).list(query), opts.limit as number);
        ctx.out.list(items, [
          { header: 'name', value: (r: FederationRule) => r.name },
          { header: 'id', value: (r) => r.id },
          { header: 'issuer', value: (r) => r.issuer_name ?? r.issuer_id },
          { header: 'service account', value: (r) => r.target.service_account_name ?? r.target.service_account_id },
          { header: 'scope', value: (r) => r.oauth_scope },
          { header: 'workspaces', value: (r) => (r.applies_to_all_workspaces ? 'all' : String(r.workspace_ids.length)) },
          { header: 'status', value: (r) => archivedMark(r.archived_at) || 'active' },
        ]);
      },
    )
      .option('--include-archived', 'include archived rules')
      .option('--issuer <id>', 'only rules of this issuer'),
  );

  adminCommand(rules, io, { name: 'get <rule>', description: 'show one rule', examples: ['openwif rules get fdrl_01ABC...'] }, async (ctx, [id]) => {
    ctx.out.object(await api(ctx).retrieve(id!), RULE_FIELDS);
  });

  ruleFieldOptions(
    adminCommand(
      rules,
      io,
      {
        name: 'create',
        description: 'create a rule',
        examples: [
          'openwif rules create --name aks-inference --issuer fdis_01... --service-account svac_01... --scope workspace:inference --subject-prefix system:serviceaccount:prod:worker --audience api://AzureADTokenExchange --workspace wrkspc_01...',
          `openwif rules create --file rule.json --name copy-of-rule`,
        ],
      },
      async (ctx, _args, opts) => {
        const body = await buildBody(opts, { ...ruleFields(opts), issuer_id: opts.issuer }, ctx.io.stdin);
        ctx.out.object(await api(ctx).create(body as unknown as RuleCreateParams), RULE_FIELDS);
      },
    ).option('--issuer <id>', 'issuer ID (cannot be changed later)'),
  );

  ruleFieldOptions(
    adminCommand(
      rules,
      io,
      {
        name: 'update <rule>',
        description: 'change a rule (omitted fields stay; match and target are replaced whole)',
        examples: ['openwif rules update fdrl_01... --token-lifetime 600', `openwif rules update fdrl_01... --match '{"subject_prefix":"repo:acme/api:*"}'`],
      },
      async (ctx, [id], opts) => {
        const body = await buildBody(opts, ruleFields(opts), ctx.io.stdin);
        if (Object.keys(body).length === 0) throw new UsageError('nothing to update: give at least one field flag, --body or --file');
        ctx.out.object(await api(ctx).update(id!, body as RuleUpdateParams), RULE_FIELDS);
      },
    ),
  );

  adminCommand(
    rules,
    io,
    { name: 'archive <rule>', description: 'archive a rule (exchange stops at once)', examples: ['openwif rules archive fdrl_01...'] },
    async (ctx, [id]) => {
      ctx.out.object(await api(ctx).archive(id!), RULE_FIELDS);
    },
  );

  const workspaces = rules.command('workspaces').description('workspaces a rule is enabled in');
  adminCommand(
    workspaces,
    io,
    { name: 'list <rule>', description: 'list explicit enablements', examples: ['openwif rules workspaces list fdrl_01...'] },
    async (ctx, [id]) => {
      const items = await collect(api(ctx).workspaces.list(id!), 1000);
      ctx.out.list(items, [
        { header: 'workspace', value: (w: FederationRuleWorkspace) => w.workspace_name },
        { header: 'workspace id', value: (w) => w.workspace_id },
        { header: 'since', value: (w) => w.created_at },
      ]);
    },
  );
  adminCommand(
    workspaces,
    io,
    { name: 'add <rule> <workspace>', description: 'enable the rule in a workspace', examples: ['openwif rules workspaces add fdrl_01... wrkspc_01...'] },
    async (ctx, [id, workspace]) => {
      ctx.out.object(await api(ctx).workspaces.add(id!, { workspace_id: workspace! }));
    },
  );
  adminCommand(
    workspaces,
    io,
    {
      name: 'remove <rule> <workspace>',
      description: 'disable the rule in a workspace',
      examples: ['openwif rules workspaces remove fdrl_01... wrkspc_01...'],
    },
    async (ctx, [id, workspace]) => {
      ctx.out.object(await api(ctx).workspaces.remove(workspace!, { federation_rule_id: id! }));
    },
  );

  registerRuleDiagnostics(rules, io);
}

function ruleFieldOptions(command: Command): Command {
  return command
    .option('--name <name>', 'slug, unique among live rules')
    .option('--description <text>', 'free text ("" clears it)')
    .option('--subject-prefix <value>', 'sub must equal this, or start with it when it ends with *')
    .option('--audience <value>', 'aud must contain exactly this')
    .option('--claim <name=value>', 'a top-level string claim that must equal value (repeatable)', collectClaim)
    .option('--condition <cel>', 'CEL boolean expression over `claims`')
    .option('--match <json>', 'the whole match object as JSON (instead of the four flags above)')
    .option('--service-account <id>', 'target service account ID')
    .option('--scope <scopes>', 'oauth_scope of minted tokens, e.g. workspace:inference')
    .option('--token-lifetime <seconds>', 'lifetime of minted tokens (60-86400)', parseInteger('--token-lifetime'))
    .option('--all-workspaces <bool>', 'enable in every workspace, including future ones (true|false)', parseBoolean('--all-workspaces'))
    .option('--workspace <id>', 'enable in this workspace (create; on update it replaces the single enablement)')
    .option('--body <json>', 'the whole request body as JSON (flags override its fields)')
    .option('--file <path>', 'read the request body from a JSON file (- for stdin)');
}

function collectClaim(pair: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = pair.indexOf('=');
  if (at <= 0) throw new UsageError(`--claim: expected name=value, got "${pair.slice(0, 60)}"`);
  return { ...previous, [pair.slice(0, at)]: pair.slice(at + 1) };
}

function ruleFields(opts: Record<string, unknown>): Record<string, unknown> {
  return {
    name: opts.name,
    description: typeof opts.description === 'string' ? nullableText(opts.description) : undefined,
    match: matchFromFlags(opts),
    target: typeof opts.serviceAccount === 'string' ? { type: 'service_account', service_account_id: opts.serviceAccount } : undefined,
    oauth_scope: opts.scope,
    token_lifetime_seconds: opts.tokenLifetime,
    applies_to_all_workspaces: opts.allWorkspaces,
    workspace_id: opts.workspace,
  };
}

function matchFromFlags(opts: Record<string, unknown>): Record<string, unknown> | undefined {
  const single = { subject_prefix: opts.subjectPrefix, audience: opts.audience, claims: opts.claim, condition: opts.condition };
  const anySingle = Object.values(single).some((value) => value !== undefined);
  if (opts.match !== undefined) {
    if (anySingle) throw new UsageError('use either --match or the --subject-prefix/--audience/--claim/--condition flags');
    const match = parseJsonFlag(opts.match as string, '--match');
    if (typeof match !== 'object' || match === null || Array.isArray(match)) throw new UsageError('--match: must be a JSON object');
    return match as Record<string, unknown>;
  }
  if (!anySingle) return undefined;
  return Object.fromEntries(Object.entries(single).filter(([, value]) => value !== undefined));
}

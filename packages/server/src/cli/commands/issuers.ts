import type { FederationIssuer, IssuerCreateParams, IssuerUpdateParams } from '@anthropic-ai/sdk/resources/organization/federation/issuers';
import type { Command } from 'commander';
import { adminCommand, archivedMark, collect, listLimitOption, type AdminContext } from '../command-kit.ts';
import { UsageError } from '../errors.ts';
import { buildBody, parseBoolean, parseInteger, parseJsonFlag } from '../json-body.ts';
import type { CliIo } from '../output.ts';
import { readTextInput } from '../read-input.ts';

const MAX_KEY_FILE_BYTES = 256 * 1024;

const ISSUER_FIELDS = [
  'id',
  'name',
  'issuer_url',
  'jwks',
  'check_jti',
  'max_jwt_lifetime_seconds',
  'poll_status',
  'jwks_polling_disabled_at',
  'created_at',
  'updated_at',
  'archived_at',
];

export function registerIssuerCommands(program: Command, io: CliIo): void {
  const issuers = program.command('issuers').description('federation issuers: the identity providers whose JWTs are trusted');

  listLimitOption(
    adminCommand(
      issuers,
      io,
      { name: 'list', description: 'list issuers', examples: ['openwif issuers list', 'openwif issuers list --include-archived --json'] },
      async (ctx, _args, opts) => {
        const items = await collect(
          ctx.client.organization.federation.issuers.list({ include_archived: opts.includeArchived === true, limit: 100 }),
          opts.limit as number,
        );
        ctx.out.list(items, [
          { header: 'name', value: (i: FederationIssuer) => i.name },
          { header: 'id', value: (i) => i.id },
          { header: 'issuer url', value: (i) => i.issuer_url },
          { header: 'jwks', value: (i) => i.jwks.type },
          { header: 'status', value: (i) => archivedMark(i.archived_at) || (i.jwks_polling_disabled_at ? 'polling paused' : 'active') },
        ]);
      },
    ).option('--include-archived', 'include archived issuers'),
  );

  adminCommand(issuers, io, { name: 'get <issuer>', description: 'show one issuer', examples: ['openwif issuers get fdis_01ABC...'] }, async (ctx, [id]) => {
    ctx.out.object(await ctx.client.organization.federation.issuers.retrieve(id!), ISSUER_FIELDS);
  });

  issuerFieldOptions(
    adminCommand(
      issuers,
      io,
      {
        name: 'create',
        description: 'register an issuer (JWKS by discovery unless --jwks-url or --jwks-keys is given)',
        examples: [
          'openwif issuers create --name azure-prod --issuer-url https://login.microsoftonline.com/<tenant>/v2.0',
          'openwif issuers create --name cluster-a --issuer-url https://kubernetes.default.svc --jwks-keys jwks.json',
          `openwif issuers create --body '{"name":"gh","issuer_url":"https://token.actions.githubusercontent.com"}'`,
        ],
      },
      async (ctx, _args, opts) => {
        const body = await buildBody(opts, await issuerFields(ctx, opts), ctx.io.stdin);
        ctx.out.object(await ctx.client.organization.federation.issuers.create(body as unknown as IssuerCreateParams), ISSUER_FIELDS);
      },
    ),
  );

  issuerFieldOptions(
    adminCommand(
      issuers,
      io,
      {
        name: 'update <issuer>',
        description: 'change an issuer (omitted fields stay as they are; jwks is replaced whole)',
        examples: ['openwif issuers update fdis_01ABC... --max-jwt-lifetime 7200', 'openwif issuers update fdis_01ABC... --resume-polling'],
      },
      async (ctx, [id], opts) => {
        const fields = await issuerFields(ctx, opts);
        if (opts.resumePolling === true) fields.jwks_polling_disabled = false;
        const body = await buildBody(opts, fields, ctx.io.stdin);
        if (Object.keys(body).length === 0) throw new UsageError('nothing to update: give at least one field flag, --body or --file');
        ctx.out.object(await ctx.client.organization.federation.issuers.update(id!, body as IssuerUpdateParams), ISSUER_FIELDS);
      },
    ).option('--resume-polling', 'resume JWKS polling after it was paused by repeated failures'),
  );

  adminCommand(
    issuers,
    io,
    { name: 'archive <issuer>', description: 'archive an issuer (refused while live rules use it)', examples: ['openwif issuers archive fdis_01ABC...'] },
    async (ctx, [id]) => {
      ctx.out.object(await ctx.client.organization.federation.issuers.archive(id!), ISSUER_FIELDS);
    },
  );
}

function issuerFieldOptions(command: Command): Command {
  return command
    .option('--name <name>', 'slug, unique among live issuers')
    .option('--issuer-url <url>', "must equal the tokens' iss claim exactly")
    .option('--discovery-base <url>', 'JWKS by discovery from this base instead of the issuer URL')
    .option('--jwks-url <url>', 'JWKS fetched from this URL (no discovery)')
    .option('--jwks-keys <file>', 'inline JWKS: a file with {"keys":[…]} or a JSON array of JWKs (- for stdin)')
    .option('--ca-cert <file>', 'PEM CA certificate for the JWKS / discovery TLS connection')
    .option('--check-jti <bool>', 'enforce single use of jti (true|false)', parseBoolean('--check-jti'))
    .option('--max-jwt-lifetime <seconds>', 'largest accepted exp - iat', parseInteger('--max-jwt-lifetime'))
    .option('--body <json>', 'the whole request body as JSON (flags override its fields)')
    .option('--file <path>', 'read the request body from a JSON file (- for stdin)');
}

async function issuerFields(ctx: AdminContext, opts: Record<string, unknown>): Promise<Record<string, unknown>> {
  return {
    name: opts.name,
    issuer_url: opts.issuerUrl,
    check_jti: opts.checkJti,
    max_jwt_lifetime_seconds: opts.maxJwtLifetime,
    jwks: await jwksFromFlags(ctx, opts),
  };
}

async function jwksFromFlags(ctx: AdminContext, opts: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const chosen = ['discoveryBase', 'jwksUrl', 'jwksKeys'].filter((key) => opts[key] !== undefined);
  if (chosen.length > 1) throw new UsageError('use only one of --discovery-base, --jwks-url, --jwks-keys');
  const caCertPem =
    typeof opts.caCert === 'string' ? await readTextInput(opts.caCert, { stdin: ctx.io.stdin, maxBytes: 8192, what: 'CA certificate' }) : undefined;
  if (opts.jwksKeys !== undefined) {
    if (caCertPem !== undefined) throw new UsageError('--ca-cert does not apply to inline keys');
    const text = await readTextInput(opts.jwksKeys as string, { stdin: ctx.io.stdin, maxBytes: MAX_KEY_FILE_BYTES, what: 'JWKS file' });
    return { type: 'inline', keys: inlineKeys(parseJsonFlag(text, '--jwks-keys')) };
  }
  if (opts.jwksUrl !== undefined) return { type: 'explicit_url', url: opts.jwksUrl, ...(caCertPem !== undefined ? { ca_cert_pem: caCertPem } : {}) };
  if (opts.discoveryBase !== undefined || caCertPem !== undefined) {
    return {
      type: 'discovery',
      ...(opts.discoveryBase !== undefined ? { discovery_base: opts.discoveryBase } : {}),
      ...(caCertPem !== undefined ? { ca_cert_pem: caCertPem } : {}),
    };
  }
  return undefined;
}

function inlineKeys(value: unknown): unknown[] {
  const keys = Array.isArray(value) ? value : (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new UsageError('--jwks-keys: expected {"keys":[…]} or a non-empty array of JWKs');
  return keys;
}

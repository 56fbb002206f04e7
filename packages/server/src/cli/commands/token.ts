import type { Command } from 'commander';
import { addJsonOption, withExamples } from '../command-kit.ts';
import { BASE_URL_ENV, resolveBaseUrl } from '../connection.ts';
import { printable } from '../../domain/printable.ts';
import { CliError, sanitize, UsageError } from '../errors.ts';
import { parseInteger } from '../json-body.ts';
import { Output, type CliIo } from '../output.ts';
import { readTextInput } from '../read-input.ts';
import { decodeToken, describeTimes, redactToken, renderDecoded } from '../token/decode-token.ts';
import { exchangeToken } from '../token/exchange-token.ts';
import type { FetchFlags } from '../token/fetch-identity-token.ts';
import { verifyToken } from '../token/verify-token.ts';

const MAX_TOKEN_BYTES = 16 * 1024;

/** `token decode|verify|exchange|fetch`: look at, check, trade and obtain identity tokens. */
export function registerTokenCommands(program: Command, io: CliIo): void {
  const token = program.command('token').description('inspect, verify, exchange and fetch identity tokens');
  const readToken = async (source: string) => {
    const text = (await readTextInput(source, { stdin: io.stdin, maxBytes: MAX_TOKEN_BYTES, what: 'token' })).trim();
    if (text === '') throw new UsageError('the token input is empty');
    return text;
  };

  const decode = token.command('decode <file>').description("show a JWT's header and claims with readable times (no verification; - reads stdin)");
  addJsonOption(decode);
  withExamples(decode, 'openwif token decode /var/run/secrets/tokens/azure-identity-token', 'cat token.jwt | openwif token decode -');
  decode.action(async (file: string, flags: { json?: boolean }) => {
    const out = new Output(io, flags);
    const decoded = decodeToken(await readToken(file));
    if (out.json) out.printJson({ ...decoded, times: describeTimes(decoded.claims, io.now()), verified: false });
    else out.line(renderDecoded(decoded, io.now(), out.color));
  });

  const verify = token
    .command('verify <file>')
    .description("verify a JWT as the exchange would, against its issuer's published keys; exits 1 naming the failed check by its reason code");
  addJsonOption(verify);
  verify
    .requiredOption('--issuer <url>', 'expected iss; keys are found through its OIDC discovery document')
    .option('--audience <aud>', 'expected aud (checked when given)')
    .option('--jwks-uri <url>', 'use this JWKS URL instead of discovery')
    .option('--max-lifetime <seconds>', "the issuer's max_jwt_lifetime_seconds: longest exp - iat accepted", parseInteger('--max-lifetime'), 3600);
  withExamples(verify, 'openwif token verify token.jwt --issuer https://token.actions.githubusercontent.com --audience https://api.anthropic.com');
  verify.action(async (file: string, flags: { json?: boolean; issuer: string; audience?: string; jwksUri?: string; maxLifetime: number }) => {
    const out = new Output(io, flags);
    const result = await verifyToken(await readToken(file), {
      issuer: flags.issuer,
      audience: flags.audience,
      jwksUri: flags.jwksUri,
      maxLifetimeSeconds: flags.maxLifetime,
      now: io.now(),
    });
    if (out.json) out.printJson(result);
    else if (result.ok)
      out.line(
        `${out.color.green('valid')}: signature (${result.alg}, kid ${result.kid}), iss, ${flags.audience ? 'aud, ' : ''}exp/nbf/iat, lifetime all pass\n  sub: ${printable(result.subject, 200)}`,
      );
    if (!result.ok) throw new CliError(`verification failed at "${result.check}": ${result.message}`);
  });

  const exchange = token.command('exchange').description('exchange an identity token for an access token (POST {base}/v1/oauth/token)');
  addJsonOption(exchange);
  exchange
    .requiredOption('--token <file>', 'the identity token (a file, or - for stdin)')
    .requiredOption('--rule <id>', 'federation rule ID (fdrl_…)')
    .requiredOption('--org <uuid>', 'organization ID')
    .option('--service-account <id>', 'expected target service account (svac_…)')
    .option('--workspace <id>', 'workspace ID (wrkspc_…) or "default"')
    .option('--base-url <url>', `server base URL (default: $${BASE_URL_ENV})`)
    .option('--show-token', 'print the access token itself (it is redacted by default)');
  withExamples(exchange, 'openwif token exchange --token token.jwt --rule fdrl_01... --org 1b4e28ba-2fa1-11d2-883f-0016d3cca427 --workspace default');
  exchange.action(
    async (flags: {
      json?: boolean;
      token: string;
      rule: string;
      org: string;
      serviceAccount?: string;
      workspace?: string;
      baseUrl?: string;
      showToken?: boolean;
    }) => {
      const out = new Output(io, flags);
      const baseUrl = resolveBaseUrl(flags, io.env);
      const outcome = await exchangeToken(
        {
          baseUrl,
          assertion: await readToken(flags.token),
          federationRuleId: flags.rule,
          organizationId: flags.org,
          serviceAccountId: flags.serviceAccount,
          workspaceId: flags.workspace,
        },
        fetch,
      ).catch((err: Error) => {
        throw new CliError(`cannot reach ${baseUrl}: ${sanitize(err.message, 200)}`);
      });
      if (!outcome.ok) {
        if (out.json) out.printJson(outcome);
        const hint = outcome.status === 401 ? " (the reason is in the server's exchange history: openwif events list --outcome denied)" : '';
        throw new CliError(
          `exchange failed: ${outcome.status} ${outcome.errorType}: ${outcome.message}${outcome.requestId ? ` (request ${outcome.requestId})` : ''}${hint}`,
        );
      }
      const shown = flags.showToken === true ? outcome.accessToken : redactToken(outcome.accessToken);
      if (out.json)
        out.printJson({
          access_token: shown,
          token_type: outcome.tokenType,
          expires_in: outcome.expiresIn,
          scope: outcome.scope,
          request_id: outcome.requestId,
        });
      else
        out.object({ access_token: shown, token_type: outcome.tokenType, expires_in: outcome.expiresIn, scope: outcome.scope, request_id: outcome.requestId });
    },
  );

  const fetchCommand = token.command('fetch').description('get an identity token from the platform this runs on (via @openwif/client)');
  addJsonOption(fetchCommand);
  fetchCommand
    .requiredOption('--from <source>', 'one of imds, aks, k8s, github, gcp')
    .option('--audience <aud>', 'requested audience (github, gcp); default https://api.anthropic.com')
    .option('--resource <uri>', 'Entra resource (imds, aks), e.g. api://<APP_ID>')
    .option('--client-id <id>', 'user-assigned managed identity / app client ID (imds, aks)')
    .option('--token-file <path>', 'projected token path (k8s); default /var/run/secrets/anthropic.com/token')
    .option('--show-token', 'print only the raw token, for piping (it is redacted by default)');
  withExamples(
    fetchCommand,
    'openwif token fetch --from github --audience https://api.anthropic.com',
    'openwif token fetch --from k8s --show-token | openwif token decode -',
  );
  fetchCommand.action(async (flags: FetchFlags & { json?: boolean; showToken?: boolean }) => {
    const out = new Output(io, flags);
    // @openwif/client loads only for this command.
    const [{ IdentityTokenError }, { identityTokenSource }] = await Promise.all([import('@openwif/client'), import('../token/fetch-identity-token.ts')]);
    let raw: string;
    try {
      raw = await identityTokenSource(flags, io.env)();
    } catch (err) {
      if (err instanceof IdentityTokenError || err instanceof TypeError) throw new CliError(sanitize(err.message));
      throw err;
    }
    if (flags.showToken === true) return out.line(raw);
    let summary: Record<string, unknown> = {};
    try {
      const { claims } = decodeToken(raw);
      summary = { iss: claims.iss, sub: claims.sub, aud: claims.aud, ...describeTimes(claims, io.now()) };
    } catch {
      summary = { note: 'not a JWT' };
    }
    out.object({ source: flags.from, token: redactToken(raw), ...summary });
  });
}

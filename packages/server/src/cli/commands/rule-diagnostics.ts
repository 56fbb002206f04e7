import { APIError } from '@anthropic-ai/sdk';
import type { Command } from 'commander';
import { adminCommand } from '../command-kit.ts';
import { CliError, describeApiError, UsageError } from '../errors.ts';
import { parseJsonFlag } from '../json-body.ts';
import type { CliIo } from '../output.ts';
import { readTextInput } from '../read-input.ts';
import { lintWarningsOf, renderLint, renderRuleTest, testMatched } from './rule-diagnostics-format.ts';

const MAX_ASSERTION_BYTES = 16 * 1024;

/** `rules lint` and `rules test`: OpenWIF extensions of the Admin API, reached with the SDK's generic requests. */
export function registerRuleDiagnostics(rules: Command, io: CliIo): void {
  adminCommand(
    rules,
    io,
    {
      name: 'lint <rule>',
      description: 'advisory warnings for a rule (OpenWIF extension)',
      examples: ['openwif rules lint fdrl_01...', 'openwif rules lint fdrl_01... --json'],
    },
    async (ctx, [id]) => {
      const result = await extension(() => ctx.client.get<unknown>(`/v1/organizations/federation_rules/${encodeURIComponent(id!)}/lint`));
      if (ctx.out.json) return ctx.out.printJson(result);
      ctx.out.line(renderLint(lintWarningsOf(result), ctx.out.color));
    },
  );

  adminCommand(
    rules,
    io,
    {
      name: 'test <rule>',
      description: 'dry-run a token or a claim set against a rule and print each step (OpenWIF extension); exits 1 when it does not match',
      examples: [
        'openwif rules test fdrl_01... --token token.jwt',
        'openwif token fetch --from k8s --show-token | openwif rules test fdrl_01... --token -',
        `openwif rules test fdrl_01... --claims '{"sub":"system:serviceaccount:prod:worker","aud":["api://AzureADTokenExchange"]}'`,
      ],
    },
    async (ctx, [id], opts) => {
      const body = await testBody(opts, ctx.io);
      const result = await extension(() => ctx.client.post<unknown>(`/v1/organizations/federation_rules/${encodeURIComponent(id!)}/test`, { body }));
      if (ctx.out.json) ctx.out.printJson(result);
      else ctx.out.line(renderRuleTest(result, ctx.out.color));
      if (!testMatched(result)) throw new CliError('the rule does not match', 1);
    },
  )
    .option('--token <file>', 'a JWT to test (a file, or - for stdin); its signature is checked too')
    .option('--claims <json>', 'a claim set to test the match against (no signature involved)');
}

async function testBody(opts: Record<string, unknown>, io: CliIo): Promise<Record<string, unknown>> {
  if ((opts.token === undefined) === (opts.claims === undefined)) throw new UsageError('give exactly one of --token FILE|- or --claims JSON');
  if (typeof opts.claims === 'string') {
    const claims = parseJsonFlag(opts.claims, '--claims');
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new UsageError('--claims: must be a JSON object');
    return { claims };
  }
  const assertion = (await readTextInput(opts.token as string, { stdin: io.stdin, maxBytes: MAX_ASSERTION_BYTES, what: 'token' })).trim();
  if (assertion === '') throw new UsageError('--token: the input is empty');
  return { assertion };
}

/** A 404 from a server without the extension reads like "rule not found"; say both. */
async function extension<T>(call: () => PromiseLike<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof APIError && err.status === 404) {
      throw new CliError(`${describeApiError(err)} (either the rule does not exist, or this server lacks the OpenWIF diagnostics extension)`);
    }
    throw err;
  }
}

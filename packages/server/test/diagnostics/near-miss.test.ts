import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RuleMatch } from '../../src/domain/types.ts';
import { DEFAULT_AUDIENCE, seedFederation } from '../helpers/federation-fixture.ts';
import type { TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { asAdmin, startDiagnosticsServer } from './helpers.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ENTRA_V1 = `https://sts.windows.net/${TENANT}/`;
const ENTRA_V2 = `https://login.microsoftonline.com/${TENANT}/v2.0`;

interface Step {
  step: string;
  status: string;
  hint?: string;
}

describe('rule test near-miss hints', () => {
  let server: TestServer;
  let issuer: TestIssuer;

  before(async () => {
    server = await startDiagnosticsServer();
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  /** Runs a test and returns the failing step (asserting it is `step`). */
  async function failing(ruleId: string, body: Record<string, unknown>, step: string): Promise<Step> {
    const res = await asAdmin(server, 'POST', `/v1/organizations/federation_rules/${ruleId}/test`, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.failed_step, step, JSON.stringify(res.body.steps));
    return (res.body.steps as Step[]).find((s) => s.step === step)!;
  }

  const ruleFor = async (match: RuleMatch, issuerUrl = issuer.url) => (await seedFederation(server, { issuerUrl, match })).rule.id;
  const signed = (claims: Record<string, unknown>) => issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, ...claims });

  test('iss differing only by case or by a trailing slash', async () => {
    const rule = await ruleFor({ subject_prefix: 'workload-1' });
    const upper = await failing(rule, { assertion: await signed({ iss: issuer.url.toUpperCase() }) }, 'iss');
    assert.match(upper.hint!, /only by letter case/);
    const slash = await failing(rule, { assertion: await signed({ iss: `${issuer.url}/` }) }, 'iss');
    assert.match(slash.hint!, /ends with a slash that issuer_url lacks/);
    const slashIssuer = await ruleFor({ subject_prefix: 'workload-1' }, `${issuer.url}/`);
    const lacks = await failing(slashIssuer, { assertion: await signed({}) }, 'iss');
    assert.match(lacks.hint!, /lacks the trailing slash/);
  });

  test('iss in the other Entra form (v1 sts.windows.net vs v2 login.microsoftonline.com)', async () => {
    const v2Rule = await ruleFor({ subject_prefix: 'workload-1', claims: { tid: TENANT } }, ENTRA_V2);
    const v1Token = await failing(v2Rule, { assertion: await signed({ iss: ENTRA_V1 }) }, 'iss');
    assert.match(v1Token.hint!, /Entra v1 token .* accessTokenAcceptedVersion/);
    const v1Rule = await ruleFor({ subject_prefix: 'workload-1', claims: { tid: TENANT } }, ENTRA_V1);
    const v2Token = await failing(v1Rule, { assertion: await signed({ iss: ENTRA_V2 }) }, 'iss');
    assert.match(v2Token.hint!, /Entra v2 token/);
    const otherTenant = await failing(v1Rule, { assertion: await signed({ iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/' }) }, 'iss');
    assert.match(otherTenant.hint!, /different tenants/);
  });

  test('an unrelated iss gets no near-miss note', async () => {
    const rule = await ruleFor({ subject_prefix: 'workload-1' });
    const far = await failing(rule, { assertion: await signed({ iss: 'https://somewhere-else.example' }) }, 'iss');
    assert.doesNotMatch(far.hint!, /letter case|slash|Entra/);
  });

  test('aud: a list inside one string, a nested array, a trailing slash, letter case', async () => {
    const rule = await ruleFor({ subject_prefix: 'workload-1', audience: 'api://app-1' });
    const cases: [unknown, RegExp][] = [
      ['["api://app-1", "api://app-2"]', /one string that contains "api:\/\/app-1" inside a list/],
      ['api://app-2,api://app-1', /inside a list/],
      [[['api://app-1']], /nested array/],
      ['api://app-1/', /only by a trailing slash/],
      [['other', 'API://APP-1'], /only by letter case/],
    ];
    for (const [aud, hint] of cases) {
      const step = await failing(rule, { claims: { sub: 'workload-1', aud } }, 'audience');
      assert.match(step.hint!, hint, JSON.stringify(aud));
      assert.match(step.hint!, /expected aud "api:\/\/app-1"/, 'the matcher’s own hint comes first');
    }
    const listy = await ruleFor({ subject_prefix: 'workload-1', audience: 'api://a,api://b' });
    assert.match((await failing(listy, { claims: { sub: 'workload-1', aud: 'api://a' } }, 'audience')).hint!, /rule audience looks like a list/);
  });

  test('the default audience (rule sets none) gets the same hints', async () => {
    const rule = await ruleFor({ subject_prefix: 'workload-1' });
    const step = await failing(rule, { claims: { sub: 'workload-1', aud: `${DEFAULT_AUDIENCE}/` } }, 'audience');
    assert.match(step.hint!, /default audiences/);
    assert.match(step.hint!, /only by a trailing slash/);
  });

  test('missing iat', async () => {
    const rule = await ruleFor({ subject_prefix: 'workload-1' });
    const step = await failing(rule, { assertion: await signed({ iat: undefined }) }, 'required_claims');
    assert.match(step.hint!, /no iat claim.*SPIFFE/);
  });

  test('subject: where it differs, and letter case', async () => {
    const expected = 'repo:acme/app:ref:refs/heads/main';
    const rule = await ruleFor({ subject_prefix: expected });
    const step = await failing(rule, { claims: { sub: 'repo:acme/app:ref:refs/heads/dev', aud: DEFAULT_AUDIENCE } }, 'subject_prefix');
    assert.match(step.hint!, new RegExp(`differs after ${'repo:acme/app:ref:refs/heads/'.length} matching characters`));
    const prefixRule = await ruleFor({ subject_prefix: 'repo:Acme/*' });
    const cased = await failing(prefixRule, { claims: { sub: 'repo:acme/app', aud: DEFAULT_AUDIENCE } }, 'subject_prefix');
    assert.match(cased.hint!, /letter case/);
    const exactLonger = await failing(rule, { claims: { sub: `${expected}-x`, aud: DEFAULT_AUDIENCE } }, 'subject_prefix');
    assert.match(exactLonger.hint!, /extra characters/);
    assert.doesNotMatch(exactLonger.hint!, /letter case/);
  });

  test('claims: value case, name case, a list holding the value, a number for a string', async () => {
    const rule = await ruleFor({ claims: { env: 'prod', tid: 'tenant-1', groups: 'admins', run: '5' } });
    const step = await failing(
      rule,
      { claims: { sub: 's', aud: DEFAULT_AUDIENCE, env: 'Prod', TID: 'tenant-1', groups: ['users', 'admins'], run: 5 } },
      'claims',
    );
    assert.match(step.hint!, /env differs only by letter case/);
    assert.match(step.hint!, /the token has "TID" but the rule names "tid"/);
    assert.match(step.hint!, /groups is a list that contains "admins"/);
    assert.match(step.hint!, /run is the number 5, not the string "5"/);
  });

  test('hints never echo control characters from the token', async () => {
    const rule = await ruleFor({ claims: { env: 'prod' } });
    // NUL itself never gets this far: request bodies carrying it are refused with 400.
    const step = await failing(rule, { claims: { sub: 's', aud: DEFAULT_AUDIENCE, env: 'Pro\u0001d\u001b[31m\nX' } }, 'claims');
    assert.doesNotMatch(step.hint!, /[\u0000-\u001f]/);
  });
});

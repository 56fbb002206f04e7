import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { CONSOLE_ADMIN_TOKEN, mintAccessToken, startConsoleServer, type ConsoleServer } from './helpers.ts';

/**
 * The console in a real browser (Debian's Chromium, headless) under the strict CSP: every
 * test also fails on any browser console error or page error, which is how a CSP violation or
 * an injected script would show up.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = new URL('../../../../docs/screenshots/', import.meta.url);

let server: ConsoleServer;
let issuer: TestIssuer;
let browser: Browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `browser tests need Chromium at ${CHROMIUM} (apt-get install chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startConsoleServer();
  issuer = await TestIssuer.start(['RS256']);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  await issuer?.close();
  await server?.close();
});

interface Session {
  context: BrowserContext;
  page: Page;
  problems: string[];
  dialogs: string[];
}

async function openSession(): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  return { context, page, problems, dialogs };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${server.url}/console/login`);
  await page.getByLabel('Admin token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}

function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name, exact: true });
}

/** The error shown next to one field (the .field wrapper that holds the labelled control). */
function fieldError(page: Page, controlId: string) {
  return page.locator(`.field:has(#${controlId}) .field-error`);
}

describe('console in a browser', () => {
  test('unauthenticated visitors are sent to sign-in, and come back where they were going', async () => {
    const { context, page, problems } = await openSession();
    try {
      await page.goto(`${server.url}/console/rules`);
      assert.match(page.url(), /\/console\/login\?next=%2Fconsole%2Frules$/);
      await assert.doesNotReject(page.getByRole('heading', { name: 'Sign in to the console' }).waitFor());
      await shot(page, 'sign-in');
      await page.getByLabel('Admin token', { exact: true }).fill(CONSOLE_ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Federation rules' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/console/rules');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a wrong token is refused with a message, and no session cookie is set', async () => {
    const { context, page, problems } = await openSession();
    try {
      await signIn(page, 'owif-admin-not-the-right-token-000000000000000000');
      await page.getByRole('alert').filter({ hasText: 'That token is not valid' }).waitFor();
      const cookies = await context.cookies();
      assert.equal(
        cookies.some((c) => c.name === 'openwif_session'),
        false,
      );
      // The browser logs the 401 document load itself; nothing else may appear.
      assert.deepEqual(
        problems.filter((p) => !p.includes('401')),
        [],
      );
    } finally {
      await context.close();
    }
  });

  test('set up federation through the forms, explain a failing token, see its event, archive the rule', async () => {
    const { context, page, problems, dialogs } = await openSession();
    try {
      await signIn(page, CONSOLE_ADMIN_TOKEN);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await shot(page, 'overview-empty');

      // Issuer: first a name the API refuses (its message lands next to the name field), then a good one.
      await nav(page, 'Issuers').click();
      await page.getByLabel('Name', { exact: true }).fill('GitHub Actions');
      await page.getByLabel('Issuer URL', { exact: true }).fill(issuer.url);
      await page.getByRole('button', { name: 'Add issuer' }).click();
      await fieldError(page, 'f-name').waitFor();
      assert.match(await fieldError(page, 'f-name').innerText(), /^⚠?\s*name: /);
      assert.equal(await page.getByLabel('Issuer URL', { exact: true }).inputValue(), issuer.url, 'the form keeps what was typed');
      await shot(page, 'issuer-form-error');
      await page.getByLabel('Name', { exact: true }).fill('ci-issuer');
      await page.getByRole('button', { name: 'Add issuer' }).click();
      await page.getByRole('heading', { name: 'ci-issuer' }).waitFor();
      await page.getByText('Created.').waitFor();

      // Service account.
      await nav(page, 'Service accounts').click();
      await page.getByLabel('Name', { exact: true }).fill('deployer');
      await page.getByLabel('Description (optional)', { exact: true }).fill('Deploys from CI');
      await page.getByRole('button', { name: 'Create service account' }).click();
      await page.getByRole('heading', { name: 'deployer' }).waitFor();

      // Rule: every match field, the live CEL check, and a hostile description.
      await nav(page, 'Federation rules').click();
      await page.getByRole('link', { name: 'New rule' }).click();
      await page.getByLabel('Name', { exact: true }).fill('deploy-main');
      await page.getByLabel('Issuer', { exact: true }).selectOption({ label: `ci-issuer — ${issuer.url}` });
      const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>" onmouseover="alert(3)';
      await page.getByLabel('Description (optional)', { exact: true }).fill(hostile);
      await page.getByLabel('Audience (optional)', { exact: true }).fill('https://api.anthropic.com');
      await page.getByLabel('Subject (optional)', { exact: true }).fill('repo:acme/app:*');
      await page.getByLabel('Claim name', { exact: true }).first().fill('environment');
      await page.getByLabel('Required value', { exact: true }).first().fill('production');
      await page.getByRole('button', { name: 'Add a claim' }).click();
      await assert.doesNotReject(page.getByLabel('Claim name', { exact: true }).nth(1).waitFor());
      await page.getByRole('button', { name: 'Remove this claim' }).nth(1).click();
      await page.waitForFunction(() => document.querySelectorAll('.claim-row').length === 1);
      const condition = page.getByLabel('Condition (CEL) (optional)', { exact: true });
      await condition.fill('claims.ref ==');
      await page.locator('#condition-feedback .check-bad').filter({ hasText: 'match.condition: syntax error' }).waitFor();
      await condition.fill('claims.ref == "refs/heads/main"');
      await page.locator('#condition-feedback .check-ok').waitFor();
      await page.getByLabel('Service account', { exact: true }).selectOption({ label: 'deployer' });
      await page.getByLabel('Workspace (optional)', { exact: true }).selectOption({ label: 'Default (default)' });
      await shot(page, 'rule-form');
      await page.getByRole('button', { name: 'Create rule' }).click();
      await page.getByRole('heading', { name: 'deploy-main' }).waitFor();
      const description = page.locator('.facts dd').filter({ hasText: '<script>' });
      assert.equal(await description.innerText(), hostile, 'the description is shown as text, not markup');
      assert.equal(await page.locator('img[src="x"]').count(), 0);
      const ruleUrl = page.url();
      const ruleId = new URL(ruleUrl).pathname.split('/').pop() ?? '';
      assert.match(ruleId, /^fdrl_/);
      await shot(page, 'rule-detail');

      // A near-miss token: sub differs only by letter case.
      const failing = await issuer.sign({
        sub: 'REPO:acme/app:ref:refs/heads/main',
        aud: 'https://api.anthropic.com',
        environment: 'production',
        ref: 'refs/heads/main',
        jti: 'near-miss-1',
      });
      await page.getByRole('link', { name: 'Test a token against this rule' }).click();
      await page.getByLabel('Token or claims', { exact: true }).fill(failing);
      await page.getByRole('button', { name: 'Test', exact: true }).click();
      const verdict = page.locator('#trace-result .alert.error');
      await verdict.waitFor();
      assert.match(await verdict.innerText(), /fails at Subject \(sub\)/);
      assert.match(await verdict.innerText(), /match_subject_prefix/);
      const failedStep = page.locator('.step.fail');
      assert.equal(await failedStep.count(), 1);
      assert.match(await failedStep.locator('.near-miss').innerText(), /letter case/);
      assert.equal(await page.locator('.step.pass').filter({ hasText: 'Signature' }).count(), 1);
      await shot(page, 'test-token');

      // The same token at the real token endpoint is denied and recorded.
      const denied = await fetch(`${server.url}/v1/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-beta': 'oauth-2025-04-20,oidc-federation-2026-04-01' },
        body: JSON.stringify({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: failing,
          federation_rule_id: ruleId,
          organization_id: server.organizationId,
        }),
      });
      assert.equal(denied.status, 401);
      await nav(page, 'Authentication events').click();
      await page.getByLabel('Reason', { exact: true }).selectOption('match_subject_prefix');
      await page.getByRole('button', { name: 'Filter' }).click();
      const row = page.locator('tbody tr').filter({ hasText: 'match_subject_prefix' });
      await row.waitFor();
      assert.equal(await row.count(), 1);
      await shot(page, 'events');
      await row.getByRole('link', { name: /Details/ }).click();
      await page.getByRole('heading', { name: 'Authentication event' }).waitFor();
      assert.match(await page.locator('.alert.error').innerText(), /Denied: match_subject_prefix/);
      assert.match(await page.locator('pre.claims').innerText(), /"sub": "REPO:acme\/app:ref:refs\/heads\/main"/);
      await shot(page, 'event-detail');

      // Overview now lists the failure.
      await nav(page, 'Overview').click();
      await page.locator('tbody tr').filter({ hasText: 'match_subject_prefix' }).waitFor();
      await shot(page, 'overview');

      // Archive the rule: a confirmation page, then the rule shows as archived.
      await page.goto(ruleUrl);
      await page.getByRole('link', { name: 'Archive' }).click();
      await page.getByRole('heading', { name: 'Archive rule deploy-main?' }).waitFor();
      await shot(page, 'archive-confirm');
      await page.getByRole('button', { name: 'Archive rule' }).click();
      await page.getByText('Archived.').waitFor();
      await page.locator('.lead .badge').filter({ hasText: 'archived' }).waitFor();
      const archivedRule = await server.stores.rules.get(server.organizationId, ruleId);
      assert.notEqual(archivedRule?.archived_at, null);

      for (const [path, name] of [
        ['/console/issuers', 'issuers'],
        ['/console/service-accounts', 'service-accounts'],
        ['/console/workspaces', 'workspaces'],
        ['/console/upstream', 'upstream'],
      ] as const) {
        await page.goto(`${server.url}${path}`);
        await shot(page, name);
      }
      assert.deepEqual(dialogs, [], 'no script ran from injected markup');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a minted token without org:admin cannot sign in; one with org:admin can', async () => {
    const developerToken = await mintAccessToken(server, issuer, { scope: 'workspace:developer', role: 'developer', name: 'plain' });
    const adminToken = await mintAccessToken(server, issuer, { scope: 'org:admin', role: 'admin', name: 'boss' });
    const { context, page } = await openSession();
    try {
      await signIn(page, developerToken);
      await page.getByRole('alert').filter({ hasText: 'does not have the org:admin scope' }).waitFor();
      assert.equal(
        (await context.cookies()).some((c) => c.name === 'openwif_session'),
        false,
      );
      await signIn(page, adminToken);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      assert.equal(
        (await context.cookies()).some((c) => c.name === 'openwif_session' && c.httpOnly && c.sameSite === 'Strict'),
        true,
      );
    } finally {
      await context.close();
    }
  });

  test('a form posted without its CSRF token is refused and changes nothing', async () => {
    const { context, page } = await openSession();
    try {
      await signIn(page, CONSOLE_ADMIN_TOKEN);
      await page.goto(`${server.url}/console/workspaces`);
      await page.getByLabel('Name', { exact: true }).fill('csrf-probe');
      await page.locator('form[action="/console/workspaces"] input[name="_csrf"]').evaluate((input) => input.remove());
      await page.getByRole('button', { name: 'Create workspace' }).click();
      await page.getByRole('heading', { name: 'Form expired' }).waitFor();
      const listed = await server.stores.workspaces.list(server.organizationId, {
        limit: 100,
        afterId: null,
        beforeId: null,
        includeArchived: true,
        includeDefault: true,
        ids: null,
      });
      assert.equal(
        listed.items.some((w) => w.name === 'csrf-probe'),
        false,
      );
    } finally {
      await context.close();
    }
  });

  test('sign-out deletes the session: the old cookie no longer opens the console', async () => {
    const { context, page } = await openSession();
    try {
      await signIn(page, CONSOLE_ADMIN_TOKEN);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      const session = (await context.cookies()).find((c) => c.name === 'openwif_session');
      assert.ok(session);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You are signed out.').waitFor();
      const replay = await fetch(`${server.url}/console`, { redirect: 'manual', headers: { cookie: `openwif_session=${session.value}` } });
      assert.equal(replay.status, 303);
      assert.equal(replay.headers.get('location'), '/console/login');
    } finally {
      await context.close();
    }
  });
});

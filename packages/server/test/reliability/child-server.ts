import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/openwif.js', import.meta.url).pathname;
export const CHILD_ADMIN_TOKEN = 'owif-admin-reliability-0123456789abcdefghijklmnopq';
const START_TIMEOUT_MS = 30_000;

export interface ChildServer {
  url: string;
  child: ChildProcess;
  databaseFile: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
  adminHeaders: Record<string, string>;
}

/** A fresh directory for one SQLite database that outlives restarts of the child. */
export function newDatabaseFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'openwif-reliability-')), 'openwif.db');
}

/**
 * `openwif serve` as a real child process (the production entry point, signals and all), on
 * 127.0.0.1 with a random port. Resolves once it prints `listening on <url>`. `bin` may name
 * another copy of the launcher (the build test runs one next to a fresh build).
 */
export function startChildServer(databaseFile: string, env: Record<string, string> = {}, bin = BIN): Promise<ChildServer> {
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      OPENWIF_DATABASE_URL: `sqlite:${databaseFile}`,
      OPENWIF_ADMIN_TOKEN: CHILD_ADMIN_TOKEN,
      OPENWIF_PORT: '0',
      OPENWIF_HOST: '127.0.0.1',
      OPENWIF_OUTBOUND_ALLOW: '127.0.0.1',
      OPENWIF_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "listening on" line within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const poll = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/i.exec(output);
      if (!match?.[1]) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        url: match[1],
        child,
        databaseFile,
        output: () => output,
        exited,
        adminHeaders: { authorization: `Bearer ${CHILD_ADMIN_TOKEN}` },
      });
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${output}`));
    });
  });
}

/** Stops a child that a test left running (SIGKILL: cleanup must not wait on the code under test). */
export async function killChild(server: ChildServer | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGKILL');
  await server.exited;
}

async function adminJson(server: ChildServer, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...server.adminHeaders, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

export interface HttpFederation {
  organizationId: string;
  ruleId: string;
  serviceAccountId: string;
  issuerId: string;
}

/** Issuer, service account and rule created through the Admin API of a child server. */
export async function createFederation(server: ChildServer, issuerUrl: string, name: string, subjectPrefix: string): Promise<HttpFederation> {
  const organizationId = (await adminJson(server, 'GET', '/v1/organizations/me')).id as string;
  const issuer = await adminJson(server, 'POST', '/v1/organizations/federation_issuers', { name: `${name}-issuer`, issuer_url: issuerUrl });
  const account = await adminJson(server, 'POST', '/v1/organizations/service_accounts', { name: `${name}-sa` });
  const rule = await adminJson(server, 'POST', '/v1/organizations/federation_rules', {
    name: `${name}-rule`,
    issuer_id: issuer.id,
    match: { subject_prefix: subjectPrefix },
    oauth_scope: 'workspace:developer',
    target: { type: 'service_account', service_account_id: account.id },
    applies_to_all_workspaces: true,
  });
  return { organizationId, ruleId: rule.id, serviceAccountId: account.id, issuerId: issuer.id };
}

/** POST /v1/oauth/token; the reply status and parsed body. */
export async function exchangeOver(server: ChildServer, fed: HttpFederation, assertion: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
      federation_rule_id: fed.ruleId,
      organization_id: fed.organizationId,
    }),
  });
  return { status: res.status, body: await res.json() };
}

export { adminJson };

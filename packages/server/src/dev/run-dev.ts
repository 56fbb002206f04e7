import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BOOTSTRAP_ACTOR_ID } from '../bootstrap.ts';
import { createLoginLink } from '../console/index.ts';
import { SettingsError, type Settings } from '../config/settings.ts';
import { EntraEmulator, ImdsEmulator, KubernetesIssuer, TOKEN_EXCHANGE_AUDIENCE, type TokenRotation } from '../emulators/index.ts';
import { startServer, type RunningServer } from '../server.ts';
import { CONSOLE_SESSION_PREFIX, hashSecret, newSecret } from '../tokens/token-hash.ts';
import { loadDevState } from './dev-state.ts';
import { DEMO, seedDemo, type SeededDemo } from './seed-demo.ts';

export interface DevStack {
  server: RunningServer;
  /** A one-time console sign-in link, valid for 10 minutes. */
  loginLink: string;
  demo: SeededDemo;
  /** `KEY=value` lines the examples read (also written to `.openwif/demo.env`). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Where the demo keeps its data: `.openwif/` in the directory `npm start` was run from. */
export function devDirectory(): string {
  return join(process.env.INIT_CWD ?? process.cwd(), '.openwif');
}

/**
 * `openwif dev`: the seed's whole Azure walkthrough on loopback. The server (SQLite under
 * `.openwif/` unless OPENWIF_DATABASE_URL says otherwise) plus Entra ID, IMDS and an AKS
 * cluster issuer on the next three ports, the demo configuration seeded, a projected service
 * account token kept fresh on disk, and the environment the two example flows need.
 */
export async function startDevStack(settings: Settings, dir = devDirectory()): Promise<DevStack> {
  const state = loadDevState(dir);
  const base = settings.port === 0 ? 0 : settings.port;
  const port = (offset: number) => (base === 0 ? 0 : base + offset);
  const closers: Array<() => Promise<unknown> | void> = [];
  try {
    const k8s = await listen('Kubernetes issuer', port(3), (p) => KubernetesIssuer.start({ port: p }));
    closers.push(() => k8s.close());
    const entra = await listen('Entra ID', port(1), (p) =>
      EntraEmulator.start({
        port: p,
        tls: false,
        tenantId: state.tenantId,
        resources: [{ appId: state.audienceAppId, identifierUris: [DEMO.audienceUri], accessTokenAcceptedVersion: 2 }],
        applications: [
          state.managedIdentity,
          { ...state.aksApp, federatedCredentials: [{ issuer: k8s.issuer, subject: DEMO.aksSubject, audience: TOKEN_EXCHANGE_AUDIENCE }] },
        ],
      }),
    );
    closers.push(() => entra.close());
    const imds = await listen('Azure IMDS', port(2), (p) =>
      ImdsEmulator.start({ port: p, tokenSource: entra, userAssignedClientIds: [state.managedIdentity.clientId] }),
    );
    closers.push(() => imds.close());

    const server = await startServer(
      {
        ...settings,
        databaseUrl: settings.databaseUrl === 'sqlite:./data/openwif.db' ? `sqlite:${join(dir, 'openwif.db')}` : settings.databaseUrl,
        outboundAllow: [...new Set([...settings.outboundAllow, '127.0.0.1'])],
      },
      // Offline, the gateway's upstream is the built-in stand-in model (unless OPENWIF_UPSTREAM_URL is set).
      { gateway: { standIn: true } },
    );
    closers.unshift(() => server.close());

    const demo = await withSeedingSession(server, (credential) => seedDemo(server.app, credential, state, entra.issuer('2.0')));

    const tokenFile = join(dir, 'aks', 'token');
    const rotation: TokenRotation = k8s.startRotation(tokenFile, {
      namespace: 'demo',
      serviceAccount: 'inference-worker',
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
      expirationSeconds: 3600,
    });
    closers.unshift(() => rotation.stop());

    const env = {
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_ORGANIZATION_ID: server.bootstrap.organization.id,
      ANTHROPIC_SERVICE_ACCOUNT_ID: demo.serviceAccountId,
      IMDS_FEDERATION_RULE_ID: demo.imdsRuleId,
      AKS_FEDERATION_RULE_ID: demo.aksRuleId,
      AZURE_RESOURCE: DEMO.audienceUri,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.env().AZURE_POD_IDENTITY_AUTHORITY_HOST!,
      AZURE_MANAGED_IDENTITY_CLIENT_ID: state.managedIdentity.clientId,
      AZURE_AUTHORITY_HOST: entra.baseUrl,
      AZURE_TENANT_ID: state.tenantId,
      AZURE_CLIENT_ID: state.aksApp.clientId,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    };
    writeFileSync(
      join(dir, 'demo.env'),
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );

    const loginCode = await createLoginLink(server.stores, server.bootstrap.organization.id, BOOTSTRAP_ACTOR_ID, new Date());
    return {
      server,
      loginLink: `${server.url}/console/login/${loginCode}`,
      demo,
      env,
      async close() {
        for (const close of closers) await close();
      },
    };
  } catch (err) {
    for (const close of closers) await close();
    throw err;
  }
}

/** Seeding runs as a short-lived console session, so it goes through the Admin API like anyone else. */
async function withSeedingSession<T>(server: RunningServer, work: (credential: string) => Promise<T>): Promise<T> {
  const id = newSecret(CONSOLE_SESSION_PREFIX);
  const now = new Date();
  await server.stores.consoleSessions.insert(hashSecret(id), {
    organization_id: server.bootstrap.organization.id,
    actor_id: BOOTSTRAP_ACTOR_ID,
    kind: 'session',
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + 5 * 60_000).toISOString(),
  });
  try {
    return await work(id);
  } finally {
    await server.stores.consoleSessions.delete(hashSecret(id));
  }
}

async function listen<T>(what: string, port: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new SettingsError('OPENWIF_PORT', `port ${port} (${what} emulator) is in use; the dev stack uses OPENWIF_PORT and the three ports after it`);
    }
    throw err;
  }
}

export function describeDevStack(stack: DevStack, dir = devDirectory()): string {
  const envFile = relative(process.env.INIT_CWD ?? process.cwd(), join(dir, 'demo.env')) || join(dir, 'demo.env');
  const { server } = stack;
  return [
    `OpenWIF dev stack listening on ${server.url}`,
    `  console:         ${stack.loginLink}   (one-time sign-in link, valid 10 minutes)`,
    `  organization ID: ${server.bootstrap.organization.id}`,
    server.bootstrap.generatedAdminToken
      ? `  admin token (shown once, store it now): ${server.bootstrap.generatedAdminToken}`
      : '  admin token:     printed at the first start (or OPENWIF_ADMIN_TOKEN)',
    `  emulators:       Entra ID ${stack.env.AZURE_AUTHORITY_HOST}, IMDS ${stack.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}`,
    `  seeded:          issuer "${DEMO.issuer}", service account "${DEMO.serviceAccount}" in workspace "${DEMO.workspace}", rules "${DEMO.imdsRule}" and "${DEMO.aksRule}"`,
    '',
    'Run the seed walkthrough end to end (official SDK + @openwif/client):',
    `  node --env-file=${envFile} --import tsx examples/azure-imds.ts              # a VM's managed identity, via IMDS`,
    `  node --env-file=${envFile} --import tsx examples/aks-workload-identity.ts   # an AKS pod, via the federated token file`,
    '',
    'Ctrl-C stops everything; the next start reuses the data in .openwif/.',
  ].join('\n');
}

import type { Command } from 'commander';
import { loadSettings, SettingsError, type Settings } from '../../config/settings.ts';
import type { RunningServer } from '../../server.ts';

// The server and storage stacks load only when a server command runs: admin and token commands start faster.
const loadServer = () => import('../../server.ts');
const loadDev = () => import('../../dev/run-dev.ts');
const loadStorage = () => import('../../storage/open-store.ts');

/** `serve`, `dev`, `migrate`: run the server itself. */
export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('run the server (production: needs a persistent database and OPENWIF_ADMIN_TOKEN)')
    .action(async () => {
      const settings = loadSettings();
      if (settings.adminToken === null)
        throw new SettingsError('OPENWIF_ADMIN_TOKEN', 'required by "openwif serve" (use "openwif dev" to get a generated one)');
      if (settings.databaseUrl === 'sqlite::memory:') throw new SettingsError('OPENWIF_DATABASE_URL', '"openwif serve" needs a persistent database');
      const server = await (await loadServer()).startServer(settings);
      runUntilSignal(serveBanner(server, settings), () => server.close());
    });

  program
    .command('dev')
    .description('the whole Azure walkthrough offline: the server on SQLite in ./.openwif, Entra ID, IMDS and AKS emulators, seeded demo configuration')
    .action(async () => {
      const { startDevStack, describeDevStack } = await loadDev();
      // The demo's banner matters more than request logs, unless the operator asked for them.
      const stack = await startDevStack(loadSettings(process.env, process.env.OPENWIF_LOG_LEVEL ? {} : { logLevel: 'warn' }));
      runUntilSignal(describeDevStack(stack), () => stack.close());
    });

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .action(async () => {
      const { migrate, openDatabase } = await loadStorage();
      const db = openDatabase(loadSettings().databaseUrl);
      try {
        await migrate(db);
        process.stdout.write('database is up to date\n');
      } finally {
        await db.destroy();
      }
    });
}

function serveBanner(server: RunningServer, settings: Settings): string {
  const { organization, generatedAdminToken } = server.bootstrap;
  return [
    `OpenWIF listening on ${server.url}`,
    `  database:        ${settings.databaseUrl}`,
    `  organization ID: ${organization.id}`,
    `  token endpoint:  ${server.url}/v1/oauth/token`,
    generatedAdminToken
      ? `  admin token (shown once, store it now): ${generatedAdminToken}`
      : '  admin token:     the one you configured (OPENWIF_ADMIN_TOKEN), or the one printed at first start',
    `  try:  curl -H "Authorization: Bearer <admin token>" ${server.url}/v1/organizations/me`,
  ].join('\n');
}

/** How long SIGTERM/SIGINT waits for in-flight requests before giving up. */
const SHUTDOWN_GRACE_MS = 15_000;

function runUntilSignal(banner: string, close: () => Promise<void>): void {
  process.stdout.write(`${banner}\n`);
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

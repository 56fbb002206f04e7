import { Command, CommanderError } from 'commander';
import { loadSettings, SettingsError, type Settings } from '../config/settings.ts';
import { migrate, openDatabase } from '../storage/open-store.ts';
import { startServer, type RunningServer } from '../server.ts';

/** `openwif`: one binary for operators and pipelines. */
export function buildCli(): Command {
  const program = new Command('openwif').description('Workload identity federation server, wire-compatible with the Claude API');

  program
    .command('serve')
    .description('run the server (production: needs a persistent database and OPENWIF_ADMIN_TOKEN)')
    .action(async () => {
      const settings = loadSettings();
      if (settings.adminToken === null) throw new SettingsError('OPENWIF_ADMIN_TOKEN', 'required by "openwif serve" (use "openwif dev" to get a generated one)');
      if (settings.databaseUrl === 'sqlite::memory:') throw new SettingsError('OPENWIF_DATABASE_URL', '"openwif serve" needs a persistent database');
      runUntilSignal(await startServer(settings), settings);
    });

  program
    .command('dev')
    .description('run the server on the embedded SQLite default and print how to use it')
    .action(async () => {
      const settings = loadSettings();
      runUntilSignal(await startServer(settings), settings);
    });

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .action(async () => {
      const db = openDatabase(loadSettings().databaseUrl);
      try {
        await migrate(db);
        process.stdout.write('database is up to date\n');
      } finally {
        await db.destroy();
      }
    });

  return program;
}

function runUntilSignal(server: RunningServer, settings: Settings): void {
  const { organization, generatedAdminToken } = server.bootstrap;
  const lines = [
    `OpenWIF listening on ${server.url}`,
    `  database:        ${settings.databaseUrl}`,
    `  organization ID: ${organization.id}`,
    `  token endpoint:  ${server.url}/v1/oauth/token`,
    generatedAdminToken
      ? `  admin token (shown once, store it now): ${generatedAdminToken}`
      : '  admin token:     the one you configured (OPENWIF_ADMIN_TOKEN), or the one printed at first start',
    `  try:  curl -H "Authorization: Bearer <admin token>" ${server.url}/v1/organizations/me`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildCli().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    // One line, naming the problem; never a stack trace for configuration mistakes.
    const message = err instanceof SettingsError ? err.message : `openwif: ${(err as Error).message}`;
    process.stderr.write(`${message}\n`);
    process.exit(err instanceof SettingsError ? 2 : 1);
  }
}

import { Command, CommanderError } from 'commander';
import { SettingsError } from '../config/settings.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerEmulateCommand } from './commands/emulate.ts';
import { registerEventCommands } from './commands/events.ts';
import { registerIssuerCommands } from './commands/issuers.ts';
import { registerRuleCommands } from './commands/rules.ts';
import { registerServerCommands } from './commands/server.ts';
import { registerServiceAccountCommands } from './commands/service-accounts.ts';
import { registerTokenCommands } from './commands/token.ts';
import { registerWorkspaceCommands } from './commands/workspaces.ts';
import { CliError, describeApiError, EXIT } from './errors.ts';
import type { CliIo } from './output.ts';

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, now: () => new Date() };
}

/** `openwif`: one binary for operators and pipelines. */
export function buildCli(io: CliIo = processIo()): Command {
  const program = new Command('openwif')
    .description('Workload identity federation server, wire-compatible with the Claude API')
    // Set before sub-commands are added: they inherit it, so every parse error reaches main().
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  program.addHelpText(
    'after',
    `
Admin commands talk to any WIF-compatible endpoint through the Anthropic SDK:
  ANTHROPIC_BASE_URL     server base URL (or --base-url)
  ANTHROPIC_AUTH_TOKEN   org:admin bearer token (or --auth-token)

Exit codes: 0 ok, 1 the operation failed, 2 bad command line or input file.

Examples:
  $ openwif dev
  $ export ANTHROPIC_BASE_URL=http://127.0.0.1:8080 ANTHROPIC_AUTH_TOKEN=owif-admin-...
  $ openwif plan -f openwif.yaml && openwif apply -f openwif.yaml
  $ openwif token decode token.jwt
`,
  );
  registerServerCommands(program);
  registerEmulateCommand(program, io);
  registerIssuerCommands(program, io);
  registerServiceAccountCommands(program, io);
  registerRuleCommands(program, io);
  registerWorkspaceCommands(program, io);
  registerEventCommands(program, io);
  registerTokenCommands(program, io);
  registerConfigCommands(program, io);
  return program;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<void> {
  const program = buildCli(io);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const { message, exitCode } = report(err);
    if (message !== null) io.stderr.write(`${message}\n`);
    // Let buffered stdout reach a pipe before exiting.
    await new Promise<void>((resolve) => io.stdout.write('', () => resolve()));
    process.exit(exitCode);
  }
}

/** One line naming the problem, never a stack trace, and the documented exit code. */
function report(err: unknown): { message: string | null; exitCode: number } {
  if (err instanceof CommanderError) {
    // Commander already printed its message (or the help); only map its codes onto ours.
    // 'commander.help' is help shown because a command was missing: a usage error.
    const shown = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
    return { message: null, exitCode: shown ? EXIT.ok : EXIT.usage };
  }
  if (err instanceof SettingsError) return { message: err.message, exitCode: EXIT.usage };
  if (err instanceof CliError) return { message: `openwif: ${err.message}`, exitCode: err.exitCode };
  const api = describeApiError(err);
  if (api !== null) return { message: `openwif: ${api}`, exitCode: EXIT.failure };
  return { message: `openwif: ${(err as Error).message}`, exitCode: EXIT.failure };
}

import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { addConnectionOptions, openAdminClient, type ConnectionFlags } from '../connection.ts';
import { addJsonOption, withExamples } from '../command-kit.ts';
import { applyPlan } from '../config/apply-plan.ts';
import { computePlan, type Plan } from '../config/plan.ts';
import { readFederationSpec } from '../config/read-spec.ts';
import { planJson, renderPlan } from '../config/render-plan.ts';
import { fetchServerState, type ServerState } from '../config/server-state.ts';
import { ConfigFileError, parseSourceDocument } from '../config/source-document.ts';
import { toFileDocument } from '../config/specs.ts';
import { emitYaml } from '../config/yaml-emit.ts';
import type { YamlValue } from '../config/yaml-subset.ts';
import { UsageError } from '../errors.ts';
import { Output, type CliIo } from '../output.ts';
import { readTextInput } from '../read-input.ts';

const MAX_CONFIG_BYTES = 1024 * 1024;

interface ConfigFlags extends ConnectionFlags {
  file?: string;
  prune?: boolean;
  json?: boolean;
}

/** `plan`, `apply`, `export`: federation configuration as code, matched by name. */
export function registerConfigCommands(program: Command, io: CliIo): void {
  const planCommand = program.command('plan').description('show what apply would change on the server (nothing is changed)');
  configOptions(planCommand);
  withExamples(planCommand, 'openwif plan -f openwif.yaml', 'openwif plan -f openwif.json --prune --json');
  planCommand.action(async (flags: ConfigFlags) => {
    const out = new Output(io, flags);
    const { plan } = await computeFromFile(flags, io);
    out.json ? out.printJson(planJson(plan)) : out.line(renderPlan(plan, out.color));
  });

  const applyCommand = program.command('apply').description('make the server match the file (idempotent: a second apply changes nothing)');
  configOptions(applyCommand);
  withExamples(applyCommand, 'openwif apply -f openwif.yaml', 'openwif apply -f openwif.yaml --prune');
  applyCommand.action(async (flags: ConfigFlags) => {
    const out = new Output(io, flags);
    const { plan, state, client } = await computeFromFile(flags, io);
    if (!out.json) out.line(renderPlan(plan, out.color));
    const applied: string[] = [];
    await applyPlan(client, plan, state, (line) => {
      applied.push(line);
      if (!out.json) out.line(out.color.green(`✓ ${line}`));
    });
    if (out.json) out.printJson({ ...planJson(plan), applied });
    else if (plan.steps.length > 0) out.line(`Applied ${applied.length} step(s).`);
  });

  const exportCommand = program
    .command('export')
    .description("write the server's federation configuration as a file that apply accepts (applying it changes nothing)");
  addConnectionOptions(exportCommand);
  exportCommand
    .option('-o, --output <file>', 'write to this file instead of stdout (.yaml, .yml or .json)')
    .option('--format <format>', 'yaml or json (default: from the output file name, else yaml)');
  withExamples(exportCommand, 'openwif export > openwif.yaml', 'openwif export -o openwif.json');
  exportCommand.action(async (flags: ConnectionFlags & { output?: string; format?: string }) => {
    const format = exportFormat(flags);
    const client = openAdminClient(flags, io);
    const state = await fetchServerState(client);
    const document = toFileDocument({
      issuers: state.issuers.map((l) => l.spec),
      service_accounts: state.serviceAccounts.map((l) => l.spec),
      rules: state.rules.map((l) => l.spec),
    }) as YamlValue;
    const text =
      format === 'json'
        ? `${JSON.stringify(document, null, 2)}\n`
        : `# openwif export: ${state.issuers.length} issuer(s), ${state.serviceAccounts.length} service account(s), ${state.rules.length} rule(s)\n${emitYaml(document)}`;
    if (flags.output === undefined) io.stdout.write(text);
    else {
      await writeFile(flags.output, text, { mode: 0o644 });
      io.stderr.write(`wrote ${flags.output}\n`);
    }
  });
}

function configOptions(command: Command): void {
  addConnectionOptions(command);
  addJsonOption(command);
  command
    .requiredOption('-f, --file <path>', 'the configuration file (.yaml, .yml or .json; - for YAML on stdin)')
    .option('--prune', 'also archive issuers, service accounts and rules that exist on the server but not in the file');
}

async function computeFromFile(flags: ConfigFlags, io: CliIo): Promise<{ plan: Plan; state: ServerState; client: ReturnType<typeof openAdminClient> }> {
  const text = await readTextInput(flags.file!, { stdin: io.stdin, maxBytes: MAX_CONFIG_BYTES, what: 'configuration file' });
  let spec;
  try {
    spec = readFederationSpec(parseSourceDocument(flags.file!, text));
  } catch (err) {
    if (err instanceof ConfigFileError) throw new UsageError(err.message);
    throw err;
  }
  const client = openAdminClient(flags, io);
  const state = await fetchServerState(client);
  try {
    return { plan: computePlan(spec, state, { prune: flags.prune === true }), state, client };
  } catch (err) {
    if (err instanceof ConfigFileError) throw new UsageError(err.message);
    throw err;
  }
}

function exportFormat(flags: { output?: string; format?: string }): 'yaml' | 'json' {
  if (flags.format !== undefined) {
    if (flags.format !== 'yaml' && flags.format !== 'json') throw new UsageError('--format: expected yaml or json');
    return flags.format;
  }
  return flags.output !== undefined && extname(flags.output).toLowerCase() === '.json' ? 'json' : 'yaml';
}

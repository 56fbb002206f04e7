import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { EmulatorKind } from '../../emulators/index.ts';
import { withExamples } from '../command-kit.ts';
import { UsageError } from '../errors.ts';
import type { CliIo } from '../output.ts';

const DEMO_CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const DEMO_OBJECT_ID = '66666666-7777-8888-9999-000000000000';
const DEMO_RESOURCE_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const DEMO_RESOURCE = { appId: DEMO_RESOURCE_ID, identifierUris: [`api://${DEMO_RESOURCE_ID}`], accessTokenAcceptedVersion: 2 as const };

const EMULATOR_KINDS: readonly EmulatorKind[] = ['entra', 'imds', 'k8s', 'github', 'gcp'];

interface Running {
  lines: string[];
  close(): Promise<void>;
}

/** `openwif emulate <kind>`: one platform's token source on loopback, until Ctrl-C. */
export function registerEmulateCommand(program: Command, io: CliIo): void {
  const command = program
    .command('emulate <kind>')
    .description(`run a platform emulator locally (${EMULATOR_KINDS.join(', ')}) and print its URLs and environment`)
    .option('--port <port>', 'listen on this port (default: any free port)', (v: string) => {
      const port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError('--port: expected 0-65535');
      return port;
    });
  withExamples(command, 'openwif emulate github', 'openwif emulate k8s --port 8443');
  command.action(async (kind: string, flags: { port?: number }) => {
    if (!(EMULATOR_KINDS as readonly string[]).includes(kind)) throw new UsageError(`unknown emulator "${kind}": expected one of ${EMULATOR_KINDS.join(', ')}`);
    const running = await start(kind as EmulatorKind, flags.port);
    io.stdout.write(`${running.lines.join('\n')}\nPress Ctrl-C to stop.\n`);
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function start(kind: EmulatorKind, port: number | undefined): Promise<Running> {
  // Loaded on demand: the emulators pull in TLS and HTTP server code no other command needs.
  const { startEmulator } = await import('../../emulators/index.ts');
  const listen = { host: '127.0.0.1', ...(port !== undefined ? { port } : {}) };
  switch (kind) {
    case 'entra': {
      const entra = await startEmulator('entra', {
        ...listen,
        tls: false,
        applications: [{ clientId: DEMO_CLIENT_ID, objectId: DEMO_OBJECT_ID }],
        resources: [DEMO_RESOURCE],
      });
      return {
        lines: [
          `Entra ID emulator on ${entra.baseUrl} (tenant ${entra.tenantId})`,
          `  issuer (v2):  ${entra.issuer('2.0')}`,
          `  issuer (v1):  ${entra.issuer('1.0')}`,
          `  AZURE_AUTHORITY_HOST=${entra.authorityHost}`,
          `  AZURE_TENANT_ID=${entra.tenantId}`,
          `  AZURE_CLIENT_ID=${DEMO_CLIENT_ID}`,
        ],
        close: () => entra.close(),
      };
    }
    case 'imds': {
      const entra = await startEmulator('entra', {
        host: '127.0.0.1',
        tls: false,
        applications: [{ clientId: DEMO_CLIENT_ID, objectId: DEMO_OBJECT_ID }],
        resources: [DEMO_RESOURCE],
      });
      const imds = await startEmulator('imds', { ...listen, tokenSource: entra, systemAssignedClientId: DEMO_CLIENT_ID });
      return {
        lines: [
          `Azure IMDS emulator on ${imds.baseUrl} (tokens from an Entra emulator, tenant ${entra.tenantId})`,
          `  token issuer: ${entra.issuer('1.0')} (v1) / ${entra.issuer('2.0')} (v2)`,
          ...Object.entries(imds.env()).map(([name, value]) => `  ${name}=${value}`),
          `  try: openwif token fetch --from imds --resource api://${DEMO_RESOURCE_ID}`,
        ],
        close: async () => {
          await imds.close();
          await entra.close();
        },
      };
    }
    case 'k8s': {
      const issuer = await startEmulator('k8s', { ...listen, tls: false });
      const dir = mkdtempSync(join(tmpdir(), 'openwif-k8s-'));
      const tokenPath = join(dir, 'token');
      const rotation = issuer.startRotation(tokenPath, { namespace: 'default', serviceAccount: 'workload', audiences: ['https://api.anthropic.com'] });
      return {
        lines: [
          `Kubernetes service-account issuer on ${issuer.baseUrl}`,
          `  issuer:    ${issuer.issuer}`,
          `  jwks_uri:  ${issuer.jwksUri}`,
          `  projected token (rotated): ${tokenPath}`,
          `  try: openwif token fetch --from k8s --token-file ${tokenPath}`,
        ],
        close: async () => {
          rotation.stop();
          await issuer.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    case 'github': {
      const github = await startEmulator('github', { ...listen, tls: false });
      const job = github.registerJob({ repository: 'acme/app' });
      return {
        lines: [
          `GitHub Actions OIDC emulator on ${github.baseUrl}`,
          `  issuer: ${github.issuer}`,
          `  job for ${job.repository}:`,
          ...Object.entries(github.envForJob(job)).map(([name, value]) => `  ${name}=${value}`),
          '  try: openwif token fetch --from github',
        ],
        close: () => github.close(),
      };
    }
    case 'gcp': {
      const gcp = await startEmulator('gcp', listen);
      return {
        lines: [
          `GCP metadata server emulator on ${gcp.baseUrl}`,
          `  issuer: ${gcp.issuer}`,
          `  default service account: ${gcp.serviceAccount.email} (${gcp.serviceAccount.uniqueId})`,
          ...Object.entries(gcp.env()).map(([name, value]) => `  ${name}=${value}`),
          '  try: openwif token fetch --from gcp',
        ],
        close: () => gcp.close(),
      };
    }
  }
}

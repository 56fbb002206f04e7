import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/openwif.js', import.meta.url));
const TIMEOUT_MS = 90_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `openwif` binary as a child process; OPENWIF_* and ANTHROPIC_* from the parent are dropped. */
export function runCli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> {
  const env: Record<string, string> = { NO_COLOR: '1' };
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('OPENWIF_') && !name.startsWith('ANTHROPIC_')) env[name] = value;
  }
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...env, ...options.env }, timeout: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

export function adminEnv(server: { url: string; adminToken: string }): Record<string, string> {
  return { ANTHROPIC_BASE_URL: server.url, ANTHROPIC_AUTH_TOKEN: server.adminToken };
}

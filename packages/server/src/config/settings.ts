import { readFileSync } from 'node:fs';

/**
 * Every setting OpenWIF reads, in one table. Environment variables win over the optional JSON
 * config file named by OPENWIF_CONFIG_FILE. A setting that is unknown or invalid stops start-up
 * with one line that names it: a typo must never silently fall back to a default.
 */
export interface Settings {
  host: string;
  port: number;
  databaseUrl: string;
  redisUrl: string | null;
  adminToken: string | null;
  defaultAudiences: string[];
  logLevel: LogLevel;
  outboundAllow: string[];
  upstreamUrl: string | null;
  upstreamApiKey: string | null;
  secretKey: Buffer | null;
  gatewayAllowPaths: string[];
  eventRetentionDays: number;
  gatewayRequestsPerMinute: number;
  gatewayMaxConcurrent: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`invalid setting ${setting}: ${problem}`);
  }
}

type Parser<T> = (raw: string, name: string) => T;

interface SettingSpec<K extends keyof Settings> {
  key: K;
  env: string;
  fileKey: string;
  parse: Parser<Settings[K]>;
  fallback: Settings[K];
}

const text: Parser<string> = (raw, name) => {
  if (raw.length === 0) throw new SettingsError(name, 'must not be empty');
  return raw;
};
const list: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const port: Parser<number> = (raw, name) => {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new SettingsError(name, `"${raw}" is not a port number (0-65535)`);
  return n;
};

const databaseUrl: Parser<string> = (raw, name) => {
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) return raw;
  if (/^postgres(ql)?:\/\//.test(raw)) return raw;
  throw new SettingsError(name, 'expected sqlite:<path> or postgres://…');
};

const redisUrl: Parser<string | null> = (raw, name) => {
  if (/^rediss?:\/\//.test(raw)) return raw;
  throw new SettingsError(name, 'expected redis://… or rediss://…');
};

const adminToken: Parser<string | null> = (raw, name) => {
  if (raw.length < 32) throw new SettingsError(name, 'must be at least 32 characters');
  // sk-ant-… is the namespace of minted and Anthropic tokens; an admin credential must not look like one.
  if (raw.startsWith('sk-ant-')) throw new SettingsError(name, 'must not start with "sk-ant-"');
  return raw;
};

const logLevel: Parser<LogLevel> = (raw, name) => {
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new SettingsError(name, `expected one of ${LOG_LEVELS.join(', ')}`);
};

const audiences: Parser<string[]> = (raw, name) => {
  const values = list(raw, name);
  if (values.length === 0) throw new SettingsError(name, 'must list at least one audience');
  return values;
};

const baseUrl: Parser<string | null> = (raw, name) => {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
    return url.origin;
  } catch {
    throw new SettingsError(name, 'expected an http(s) URL');
  }
};

const secretKey: Parser<Buffer | null> = (raw, name) => {
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new SettingsError(name, 'must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
  return key;
};

const apiPaths: Parser<string[]> = (raw, name) => {
  const paths = list(raw, name);
  for (const p of paths) {
    if (!/^\/v1\/[A-Za-z0-9_\-/]*\*?$/.test(p) || p.startsWith('/v1/organizations') || p.startsWith('/v1/oauth')) {
      throw new SettingsError(name, `"${p}" must be a /v1/ path (a trailing * allows a prefix) outside /v1/organizations and /v1/oauth`);
    }
  }
  return paths;
};

const secret: Parser<string | null> = (raw, name) => text(raw, name);

const positive =
  (max: number): Parser<number> =>
  (raw, name) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > max) throw new SettingsError(name, `must be a whole number from 1 to ${max}`);
    return n;
  };

const days: Parser<number> = (raw, name) => {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 36_500) throw new SettingsError(name, 'must be a whole number of days from 1 to 36500');
  return n;
};

function spec<K extends keyof Settings>(s: SettingSpec<K>): SettingSpec<K> {
  return s;
}

/** The settings table: README.md documents exactly these rows. */
export const SETTINGS = [
  spec({ key: 'host', env: 'OPENWIF_HOST', fileKey: 'host', parse: text, fallback: '127.0.0.1' }),
  spec({ key: 'port', env: 'OPENWIF_PORT', fileKey: 'port', parse: port, fallback: 8080 }),
  spec({ key: 'databaseUrl', env: 'OPENWIF_DATABASE_URL', fileKey: 'database_url', parse: databaseUrl, fallback: 'sqlite:./data/openwif.db' }),
  spec({ key: 'redisUrl', env: 'OPENWIF_REDIS_URL', fileKey: 'redis_url', parse: redisUrl, fallback: null }),
  spec({ key: 'adminToken', env: 'OPENWIF_ADMIN_TOKEN', fileKey: 'admin_token', parse: adminToken, fallback: null }),
  spec({ key: 'defaultAudiences', env: 'OPENWIF_DEFAULT_AUDIENCE', fileKey: 'default_audience', parse: audiences, fallback: ['https://api.anthropic.com'] }),
  spec({ key: 'logLevel', env: 'OPENWIF_LOG_LEVEL', fileKey: 'log_level', parse: logLevel, fallback: 'info' }),
  spec({ key: 'outboundAllow', env: 'OPENWIF_OUTBOUND_ALLOW', fileKey: 'outbound_allow', parse: list, fallback: [] }),
  spec({ key: 'upstreamUrl', env: 'OPENWIF_UPSTREAM_URL', fileKey: 'upstream_url', parse: baseUrl, fallback: null }),
  spec({ key: 'upstreamApiKey', env: 'OPENWIF_UPSTREAM_API_KEY', fileKey: 'upstream_api_key', parse: secret, fallback: null }),
  spec({ key: 'secretKey', env: 'OPENWIF_SECRET_KEY', fileKey: 'secret_key', parse: secretKey, fallback: null }),
  spec({ key: 'eventRetentionDays', env: 'OPENWIF_EVENT_RETENTION_DAYS', fileKey: 'event_retention_days', parse: days, fallback: 90 }),
  spec({
    key: 'gatewayRequestsPerMinute',
    env: 'OPENWIF_GATEWAY_REQUESTS_PER_MINUTE',
    fileKey: 'gateway_requests_per_minute',
    parse: positive(1_000_000),
    fallback: 600,
  }),
  spec({ key: 'gatewayMaxConcurrent', env: 'OPENWIF_GATEWAY_MAX_CONCURRENT', fileKey: 'gateway_max_concurrent', parse: positive(10_000), fallback: 8 }),
  spec({ key: 'gatewayAllowPaths', env: 'OPENWIF_GATEWAY_ALLOW_PATHS', fileKey: 'gateway_allow_paths', parse: apiPaths, fallback: [] }),
];

const CONFIG_FILE_ENV = 'OPENWIF_CONFIG_FILE';

export function loadSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Settings> = {}): Settings {
  const known = new Set([...SETTINGS.map((s) => s.env), CONFIG_FILE_ENV]);
  for (const name of Object.keys(env)) {
    if (name.startsWith('OPENWIF_') && !known.has(name)) throw new SettingsError(name, 'unknown setting');
  }
  const file = readConfigFile(env[CONFIG_FILE_ENV]);
  const settings: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const fromEnv = env[s.env];
    const fromFile = file[s.fileKey];
    if (fromEnv !== undefined) settings[s.key] = s.parse(fromEnv.trim(), s.env);
    else if (fromFile !== undefined) settings[s.key] = s.parse(fileValueToString(fromFile, s.fileKey), `${s.fileKey} (config file)`);
    else settings[s.key] = s.fallback;
  }
  return { ...(settings as unknown as Settings), ...overrides };
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (path === undefined || path.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SettingsError(CONFIG_FILE_ENV, `cannot read ${path} as JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SettingsError(CONFIG_FILE_ENV, `${path} must hold a JSON object`);
  }
  const fileKeys = new Set(SETTINGS.map((s) => s.fileKey));
  for (const key of Object.keys(parsed)) {
    if (!fileKeys.has(key)) throw new SettingsError(`${key} (config file)`, 'unknown setting');
  }
  return parsed as Record<string, unknown>;
}

function fileValueToString(value: unknown, key: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',');
  throw new SettingsError(`${key} (config file)`, 'must be a string, number or list of strings');
}

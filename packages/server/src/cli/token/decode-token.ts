import { decodeJwt, decodeProtectedHeader, errors } from 'jose';
import { CliError, sanitize } from '../errors.ts';
import type { Colors } from '../output.ts';

/** An unverified look inside a JWT: for diagnosis only, nothing here is trusted. */
export interface DecodedToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** A guess at what issued it, from claim shapes (e.g. "Entra ID v2.0 access token"). */
  kind: string;
}

const TIME_CLAIMS = ['iat', 'nbf', 'exp', 'auth_time'] as const;

export function decodeToken(text: string): DecodedToken {
  const token = text.trim();
  if (token.split('.').length !== 3) throw new CliError('not a JWT: expected three dot-separated parts (header.payload.signature)');
  try {
    const header = decodeProtectedHeader(token) as Record<string, unknown>;
    const claims = decodeJwt(token) as Record<string, unknown>;
    return { header, claims, kind: guessKind(claims) };
  } catch (err) {
    if (err instanceof errors.JOSEError) throw new CliError(`not a decodable JWT: ${sanitize(err.message)}`);
    throw err;
  }
}

function guessKind(claims: Record<string, unknown>): string {
  const iss = typeof claims.iss === 'string' ? claims.iss : '';
  if (claims.ver === '1.0' || /^https:\/\/sts\.windows\.net\//.test(iss)) return 'Entra ID v1.0 access token';
  if (claims.ver === '2.0' || /^https:\/\/login\.microsoftonline\.(com|us)\/[^/]+\/v2\.0$/.test(iss)) return 'Entra ID v2.0 access token';
  if (typeof claims['kubernetes.io'] === 'object' && claims['kubernetes.io'] !== null) return 'Kubernetes service account token';
  if (iss === 'https://token.actions.githubusercontent.com' || typeof claims.repository === 'string') return 'GitHub Actions OIDC token';
  if (iss === 'https://accounts.google.com') return 'Google identity token';
  if (/\.amazonaws\.com/.test(iss)) return 'AWS web identity token';
  return 'JWT';
}

/** "in 4m 59s" / "3h 2m ago", relative to `now`. */
export function relativeTime(epochSeconds: number, now: Date): string {
  const delta = Math.round(epochSeconds - now.getTime() / 1000);
  const span = formatSpan(Math.abs(delta));
  return delta >= 0 ? `in ${span}` : `${span} ago`;
}

function formatSpan(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${rest}s`;
  return `${rest}s`;
}

/** Times as ISO dates with a relative hint; `exp` says plainly whether the token is still valid. */
export function describeTimes(claims: Record<string, unknown>, now: Date): Record<string, string> {
  const times: Record<string, string> = {};
  for (const name of TIME_CLAIMS) {
    const value = claims[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const date = new Date(value * 1000).toISOString();
    if (name === 'exp') times.exp = `${date} (${value * 1000 > now.getTime() ? `expires ${relativeTime(value, now)}` : `EXPIRED ${relativeTime(value, now)}`})`;
    else times[name] = `${date} (${relativeTime(value, now)})`;
  }
  if (typeof claims.iat === 'number' && typeof claims.exp === 'number') times.lifetime = formatSpan(Math.max(0, claims.exp - claims.iat));
  const warnAfter = (claims['kubernetes.io'] as { warnafter?: unknown } | undefined)?.warnafter;
  if (typeof warnAfter === 'number') times['kubernetes.io.warnafter'] = `${new Date(warnAfter * 1000).toISOString()} (${relativeTime(warnAfter, now)})`;
  return times;
}

export function renderDecoded(decoded: DecodedToken, now: Date, color: Colors): string {
  const times = describeTimes(decoded.claims, now);
  const timeLines = Object.entries(times).map(
    ([name, text]) => `  ${`${name}:`.padEnd(10)} ${name === 'exp' && text.includes('EXPIRED') ? color.red(text) : text}`,
  );
  return [
    `${color.bold('kind:')}   ${decoded.kind} ${color.dim('(signature NOT verified; use "openwif token verify")')}`,
    color.bold('header:'),
    indent(JSON.stringify(decoded.header, null, 2)),
    color.bold('claims:'),
    indent(JSON.stringify(decoded.claims, null, 2)),
    ...(timeLines.length > 0 ? [color.bold('times:'), ...timeLines] : []),
  ].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** Shows that a token exists without handing it out: enough to tell two tokens apart. */
export function redactToken(token: string): string {
  if (token.length <= 16) return '[redacted]';
  const prefix = /^sk-ant-[a-z]+\d*-/.exec(token)?.[0] ?? token.slice(0, 6);
  return `${prefix}…${token.slice(-4)} [redacted, ${token.length} chars; --show-token prints it]`;
}

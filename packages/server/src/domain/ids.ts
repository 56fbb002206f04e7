import { randomBytes } from './random-pool.ts';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export const ID_PREFIX = {
  issuer: 'fdis_',
  rule: 'fdrl_',
  serviceAccount: 'svac_',
  workspace: 'wrkspc_',
  request: 'req_',
  event: 'fdev_',
} as const;
export type IdKind = keyof typeof ID_PREFIX;

/** `prefix + "01" + 22 base58 characters`, the shape every Anthropic example ID has (spec §1.8). */
export function newId(kind: IdKind): string {
  const bytes = randomBytes(22);
  let out = '';
  for (const b of bytes) out += BASE58[b % 58];
  return `${ID_PREFIX[kind]}01${out}`;
}

const TAGGED = /^[0-9A-Za-z]{1,64}$/;

/** Incoming IDs are validated only by prefix and charset; their inner format is opaque (spec §1.8). */
export function isTaggedId(kind: IdKind, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const prefix = ID_PREFIX[kind];
  return value.startsWith(prefix) && TAGGED.test(value.slice(prefix.length));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

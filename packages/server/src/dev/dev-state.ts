import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The demo's identities (tenant, apps, managed identity), kept in `.openwif/dev.json` so that a
 * second `npm start` reuses the same IDs and the seeded issuer and rules keep matching.
 */
export interface DevState {
  tenantId: string;
  /** The audience app registration ("api://openwif-demo"): v2 tokens carry its ID as `aud`. */
  audienceAppId: string;
  managedIdentity: { clientId: string; objectId: string };
  aksApp: { clientId: string; objectId: string };
}

export function loadDevState(dir: string): DevState {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'dev.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as DevState;
  const state: DevState = {
    tenantId: randomUUID(),
    audienceAppId: randomUUID(),
    managedIdentity: { clientId: randomUUID(), objectId: randomUUID() },
    aksApp: { clientId: randomUUID(), objectId: randomUUID() },
  };
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return state;
}

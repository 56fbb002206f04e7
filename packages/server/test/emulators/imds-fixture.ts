import { randomUUID } from 'node:crypto';
import { EntraEmulator } from '../../src/emulators/entra/entra-emulator.ts';
import { ImdsEmulator, type ImdsEmulatorOptions } from '../../src/emulators/imds/imds-emulator.ts';

export interface Identity {
  clientId: string;
  objectId: string;
  resourceId: string;
}

export interface ImdsFixture {
  entra: EntraEmulator;
  imds: ImdsEmulator;
  system: Identity;
  user: Identity;
  /** Registered in the tenant but not attached to this VM. */
  foreign: Identity;
  v1Resource: string;
  v2Resource: { uri: string; appId: string };
  close(): Promise<void>;
}

function identity(name: string): Identity {
  return {
    clientId: randomUUID(),
    objectId: randomUUID(),
    resourceId: `/subscriptions/${randomUUID()}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
  };
}

export async function startImdsFixture(options: Partial<Omit<ImdsEmulatorOptions, 'tokenSource'>> = {}): Promise<ImdsFixture> {
  const system = identity('system');
  const user = identity('user');
  const foreign = identity('foreign');
  const v2Resource = { uri: 'api://openwif-v2', appId: randomUUID() };
  const entra = await EntraEmulator.start({
    tls: false,
    applications: [system, user, foreign].map((id) => ({ clientId: id.clientId, objectId: id.objectId, managedIdentityResourceId: id.resourceId })),
    resources: [
      { appId: randomUUID(), identifierUris: ['api://openwif'] },
      { appId: v2Resource.appId, identifierUris: [v2Resource.uri], accessTokenAcceptedVersion: 2 },
    ],
  });
  const imds = await ImdsEmulator.start({
    tokenSource: entra,
    systemAssignedClientId: system.clientId,
    userAssignedClientIds: [user.clientId],
    ...options,
  });
  return {
    entra,
    imds,
    system,
    user,
    foreign,
    v1Resource: 'api://openwif',
    v2Resource,
    close: async () => {
      await imds.close();
      await entra.close();
    },
  };
}

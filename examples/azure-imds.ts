// The seed's first flow: a VM (or VMSS) fetches its managed identity's Entra token from IMDS and
// exchanges it for a short-lived OpenWIF access token; the official SDK does the rest.
// Under `npm start`, run: node --env-file=.openwif/demo.env --import tsx examples/azure-imds.ts
import Anthropic from '@anthropic-ai/sdk';
import { WorkloadIdentityCredentials, azureImds } from '@openwif/client';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see .openwif/demo.env)`);
  return value;
};

const credentials = new WorkloadIdentityCredentials({
  // On Azure this reaches http://169.254.169.254; AZURE_POD_IDENTITY_AUTHORITY_HOST points it at the emulator.
  identityTokenProvider: azureImds({ resource: env('AZURE_RESOURCE'), clientId: env('AZURE_MANAGED_IDENTITY_CLIENT_ID') }),
  federationRuleId: env('IMDS_FEDERATION_RULE_ID'),
  organizationId: env('ANTHROPIC_ORGANIZATION_ID'),
  serviceAccountId: env('ANTHROPIC_SERVICE_ACCOUNT_ID'),
  baseURL: env('ANTHROPIC_BASE_URL'),
});

const client = new Anthropic({ baseURL: env('ANTHROPIC_BASE_URL'), credentials: credentials.provider });
const message = await client.messages.create({
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Hello from Azure' }],
});
const first = message.content[0];
console.log(first?.type === 'text' ? first.text : JSON.stringify(message.content));

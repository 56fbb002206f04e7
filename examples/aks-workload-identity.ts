// The seed's second flow: an AKS pod with Entra Workload ID. The projected service-account token
// in AZURE_FEDERATED_TOKEN_FILE is exchanged at Entra (federated client credentials) for an Entra
// token, which is exchanged for a short-lived OpenWIF access token.
// Under `npm start`, run: node --env-file=.openwif/demo.env --import tsx examples/aks-workload-identity.ts
import Anthropic from '@anthropic-ai/sdk';
import { WorkloadIdentityCredentials, entraFederated } from '@openwif/client';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see .openwif/demo.env)`);
  return value;
};

const credentials = new WorkloadIdentityCredentials({
  // Reads AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_AUTHORITY_HOST, as the webhook sets them.
  identityTokenProvider: entraFederated({ scope: `${env('AZURE_RESOURCE')}/.default` }),
  federationRuleId: env('AKS_FEDERATION_RULE_ID'),
  organizationId: env('ANTHROPIC_ORGANIZATION_ID'),
  serviceAccountId: env('ANTHROPIC_SERVICE_ACCOUNT_ID'),
  baseURL: env('ANTHROPIC_BASE_URL'),
});

const client = new Anthropic({ baseURL: env('ANTHROPIC_BASE_URL'), credentials: credentials.provider });
const message = await client.messages.create({
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Hello from AKS' }],
});
const first = message.content[0];
console.log(first?.type === 'text' ? first.text : JSON.stringify(message.content));

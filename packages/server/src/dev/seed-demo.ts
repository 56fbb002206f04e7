import type { FastifyInstance } from 'fastify';
import type { DevState } from './dev-state.ts';

export const DEMO = {
  workspace: 'azure-workloads',
  serviceAccount: 'azure-inference-worker',
  issuer: 'azure-prod-tenant',
  imdsRule: 'azure-inference-worker',
  aksRule: 'aks-inference-worker',
  audienceUri: 'api://openwif-demo',
  aksSubject: 'system:serviceaccount:demo:inference-worker',
} as const;

export interface SeededDemo {
  workspaceId: string;
  serviceAccountId: string;
  issuerId: string;
  imdsRuleId: string;
  aksRuleId: string;
}

type Call = (method: 'GET' | 'POST', url: string, body?: unknown) => Promise<any>;

/**
 * The seed page's Azure setup, through the real Admin API: an Entra issuer (discovery), a
 * service account that is a member of a workspace, and rules matching `oid` + `tid` + audience
 * for the managed identity (IMDS flow) and for the AKS app (federated-token flow). Idempotent:
 * objects are found by name; the issuer URL is re-pointed if the emulator moved.
 */
export async function seedDemo(app: FastifyInstance, credential: string, state: DevState, entraIssuer: string): Promise<SeededDemo> {
  const call: Call = async (method, url, body) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${credential}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    if (res.statusCode !== 200) throw new Error(`seeding the demo: ${method} ${url} → ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const findByName = async (url: string, name: string) => {
    const page = await call('GET', `${url}?limit=100`);
    return (page.data as Array<{ id: string; name: string }>).find((o) => o.name === name) ?? null;
  };

  const workspace =
    (await findByName('/v1/organizations/workspaces', DEMO.workspace)) ?? (await call('POST', '/v1/organizations/workspaces', { name: DEMO.workspace }));
  const account =
    (await findByName('/v1/organizations/service_accounts', DEMO.serviceAccount)) ??
    (await call('POST', '/v1/organizations/service_accounts', { name: DEMO.serviceAccount, description: 'The seed walkthrough: an Azure inference worker.' }));
  await call('POST', `/v1/organizations/service_accounts/${account.id}/workspaces`, { workspace_id: workspace.id, workspace_role: 'workspace_developer' });

  const issuerBody = { name: DEMO.issuer, issuer_url: entraIssuer, jwks: { type: 'discovery' }, max_jwt_lifetime_seconds: 86_400 };
  const existingIssuer = (await findByName('/v1/organizations/federation_issuers', DEMO.issuer)) as { id: string; issuer_url?: string } | null;
  const issuer = existingIssuer
    ? existingIssuer.issuer_url === entraIssuer
      ? existingIssuer
      : await call('POST', `/v1/organizations/federation_issuers/${existingIssuer.id}`, { issuer_url: entraIssuer })
    : await call('POST', '/v1/organizations/federation_issuers', issuerBody);

  const rule = async (name: string, objectId: string, description: string) =>
    (await findByName('/v1/organizations/federation_rules', name)) ??
    (await call('POST', '/v1/organizations/federation_rules', {
      name,
      description,
      issuer_id: issuer.id,
      match: { audience: state.audienceAppId, claims: { oid: objectId, tid: state.tenantId } },
      target: { type: 'service_account', service_account_id: account.id },
      workspace_id: workspace.id,
      oauth_scope: 'workspace:developer',
      token_lifetime_seconds: 600,
    }));
  const imdsRule = await rule(DEMO.imdsRule, state.managedIdentity.objectId, 'The managed identity of an Azure VM, via IMDS.');
  const aksRule = await rule(DEMO.aksRule, state.aksApp.objectId, 'An AKS pod, via Entra Workload ID (federated token file).');
  return { workspaceId: workspace.id, serviceAccountId: account.id, issuerId: issuer.id, imdsRuleId: imdsRule.id, aksRuleId: aksRule.id };
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../app.ts';
import type { Caller } from '../auth/caller.ts';
import { newId } from '../domain/ids.ts';
import type { Issuer, JwksConfig } from '../domain/types.ts';
import { badRequest, forbidden, notFound } from '../http/errors.ts';
import { checkTenantPinning } from '../policy/shared-issuers.ts';
import { callerOf, createdBy } from './admin-caller.ts';
import { IncludeArchived, Nullable, Slug } from './common-schemas.ts';
import { checkDialledUrls, IssuerUrl, JwksInput, MaxJwtLifetime, parseJwks } from './issuer-input.ts';
import { quote } from './memberships.ts';
import { cursorQuery, PageCursorQuery, pageCursorBody } from './pagination.ts';
import { presentIssuer } from './presenters.ts';
import { isWorkloadManageable } from './scopes.ts';

const Params = Type.Object({ federation_issuer_id: Type.String() });

const CreateBody = Type.Object({
  issuer_url: IssuerUrl,
  name: Slug,
  jwks: Type.Optional(JwksInput),
  check_jti: Type.Optional(Nullable(Type.Boolean())),
  max_jwt_lifetime_seconds: Type.Optional(Nullable(MaxJwtLifetime)),
});

const UpdateBody = Type.Object({
  name: Type.Optional(Nullable(Slug)),
  issuer_url: Type.Optional(Nullable(IssuerUrl)),
  jwks: Type.Optional(Nullable(JwksInput)),
  check_jti: Type.Optional(Nullable(Type.Boolean())),
  max_jwt_lifetime_seconds: Type.Optional(Nullable(MaxJwtLifetime)),
  jwks_polling_disabled: Type.Optional(Nullable(Type.Boolean())),
});

const ListQuery = Type.Object({ ...PageCursorQuery, include_archived: Type.Optional(IncludeArchived) });

const DEFAULT_MAX_JWT_LIFETIME = 3600;
const BASE = '/v1/organizations/federation_issuers';

/** Spec §3.4: federation issuers. */
export async function issuerRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  async function load(organizationId: string, id: string): Promise<Issuer> {
    const issuer = await deps.stores.issuers.get(organizationId, id);
    if (!issuer) throw notFound(`Federation issuer ${quote(id)} not found.`);
    return issuer;
  }

  app.post(BASE, { schema: { body: CreateBody } }, async (request) => {
    const caller = callerOf(request);
    const body = request.body;
    const jwks: JwksConfig = body.jwks ? parseJwks(body.jwks) : { type: 'discovery', discovery_base: null, ca_cert_pem: null };
    checkDialledUrls(deps.outbound, body.issuer_url, jwks);
    const now = deps.now().toISOString();
    const issuer: Issuer = {
      id: newId('issuer'),
      organization_id: caller.organizationId,
      name: body.name,
      issuer_url: body.issuer_url,
      jwks,
      check_jti: body.check_jti ?? true,
      max_jwt_lifetime_seconds: body.max_jwt_lifetime_seconds ?? DEFAULT_MAX_JWT_LIFETIME,
      jwks_polling_disabled_at: null,
      poll_status: null,
      ...createdBy(caller, now),
    };
    await deps.stores.issuers.insert(issuer);
    return presentIssuer(issuer);
  });

  app.get(BASE, { schema: { querystring: ListQuery } }, async (request) => {
    const caller = callerOf(request);
    const page = await deps.stores.issuers.list(caller.organizationId, {
      ...cursorQuery(request.query),
      includeArchived: request.query.include_archived ?? false,
    });
    return pageCursorBody(page, presentIssuer);
  });

  app.get(`${BASE}/:federation_issuer_id`, { schema: { params: Params } }, async (request) => {
    return presentIssuer(await load(callerOf(request).organizationId, request.params.federation_issuer_id));
  });

  app.post(`${BASE}/:federation_issuer_id`, { schema: { params: Params, body: UpdateBody } }, async (request) => {
    const caller = callerOf(request);
    const issuer = await load(caller.organizationId, request.params.federation_issuer_id);
    if (issuer.archived_at !== null) throw badRequest(`Federation issuer ${issuer.id} is archived and cannot be updated; create a new one instead.`);
    const body = request.body;
    const liveRules = await deps.stores.rules.listLive({ issuerId: issuer.id });
    assertMayUpdateIssuer(caller, liveRules);
    if (body.jwks_polling_disabled === true) {
      throw badRequest('jwks_polling_disabled: only false is accepted (polling is paused automatically after repeated failures)');
    }

    const issuerUrl = body.issuer_url ?? issuer.issuer_url;
    const jwks = body.jwks ? parseJwks(body.jwks) : issuer.jwks;
    if (body.issuer_url != null || body.jwks != null) checkDialledUrls(deps.outbound, issuerUrl, jwks);
    if (issuerUrl !== issuer.issuer_url) {
      for (const rule of liveRules) {
        const problem = checkTenantPinning(issuerUrl, rule.match);
        if (problem !== null) throw badRequest(`issuer_url: live rule ${rule.id} would not constrain tenant identity: ${problem}`);
      }
    }

    const now = deps.now();
    const updated: Issuer = {
      ...issuer,
      name: body.name ?? issuer.name,
      issuer_url: issuerUrl,
      jwks,
      check_jti: body.check_jti ?? issuer.check_jti,
      max_jwt_lifetime_seconds: body.max_jwt_lifetime_seconds ?? issuer.max_jwt_lifetime_seconds,
      updated_at: now.toISOString(),
      updated_by_actor_id: caller.actorId,
    };
    if (body.jwks_polling_disabled === false) {
      // Re-enable: clear the pause, forget the failure streak and poll straight away (spec §7).
      updated.jwks_polling_disabled_at = null;
      updated.poll_status =
        jwks.type === 'inline'
          ? null
          : { consecutive_failures: 0, last_fetched_at: issuer.poll_status?.last_fetched_at ?? null, next_poll_at: now.toISOString() };
    }
    await deps.stores.issuers.update(updated);
    return presentIssuer(updated);
  });

  app.post(`${BASE}/:federation_issuer_id/archive`, { schema: { params: Params } }, async (request) => {
    const caller = callerOf(request);
    const issuer = await load(caller.organizationId, request.params.federation_issuer_id);
    if (issuer.archived_at !== null) return presentIssuer(issuer);
    const live = await deps.stores.rules.countLive({ issuerId: issuer.id });
    if (live > 0) {
      throw badRequest(
        `Federation issuer ${issuer.id} is still referenced by ${live} live federation rule(s); archive them first (a rule's issuer cannot be changed).`,
      );
    }
    const now = deps.now().toISOString();
    const archived: Issuer = { ...issuer, archived_at: now, archived_by_actor_id: caller.actorId, updated_at: now, updated_by_actor_id: caller.actorId };
    await deps.stores.issuers.update(archived);
    return presentIssuer(archived);
  });
}

/** Spec §2.2 (2): an OAuth caller may not touch an issuer that backs a rule with a wider scope. */
function assertMayUpdateIssuer(caller: Caller, liveRules: Array<{ oauth_scope: string }>): void {
  if (caller.kind === 'workload' && liveRules.some((r) => !isWorkloadManageable(r.oauth_scope))) {
    throw forbidden(
      'This issuer backs a federation rule with a scope other than workspace:developer or workspace:inference; only a console session may update it.',
    );
  }
}

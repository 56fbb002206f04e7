import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { bootstrap, type BootstrapResult } from './bootstrap.ts';
import type { Settings } from './config/settings.ts';
import type { GatewayRouteOptions } from './gateway/index.ts';
import { RuleMatcherCache } from './exchange/rule-matchers.ts';
import { Metrics } from './observability/metrics.ts';
import { startHousekeeping } from './storage/housekeeping.ts';
import { ConfigCache } from './storage/config-cache.ts';
import { openStores } from './storage/open-store.ts';
import type { Stores } from './storage/ports.ts';
import { startJwksPoller } from './trust/jwks-poller.ts';
import { IssuerKeyCache } from './trust/key-resolver.ts';
import { OutboundPolicy } from './trust/outbound-policy.ts';

export interface RunningServer {
  app: FastifyInstance;
  stores: Stores;
  metrics: Metrics;
  url: string;
  bootstrap: BootstrapResult;
  close(): Promise<void>;
}

/** serve: settings → stores → bootstrap → app → listen. `close()` drains requests, then the database. */
export interface ServerOptions {
  now?: () => Date;
  gateway?: GatewayRouteOptions;
}

export async function startServer(settings: Settings, options: ServerOptions = {}): Promise<RunningServer> {
  const now = options.now ?? (() => new Date());
  const stores = await openStores(settings.databaseUrl, settings.redisUrl);
  try {
    const boot = await bootstrap(stores, settings.adminToken, now());
    const outbound = new OutboundPolicy(settings.outboundAllow);
    const keys = new IssuerKeyCache({ policy: outbound, now: () => now().getTime() });
    const matching = new RuleMatcherCache({ defaultAudiences: settings.defaultAudiences });
    const metrics = new Metrics();
    const config = new ConfigCache(stores);
    const app = await buildApp({ settings, stores, config, keys, matching, outbound, metrics, now, ...(options.gateway ? { gateway: options.gateway } : {}) });
    const poller = startJwksPoller({ stores, keys, now: () => now().getTime(), log: app.log });
    const housekeeping = startHousekeeping({
      stores,
      retentionDays: settings.eventRetentionDays,
      now,
      onError: (err) => app.log.warn({ err }, 'housekeeping sweep failed'),
    });
    const address = await app.listen({ host: settings.host, port: settings.port });
    const url = address.replace('[::1]', 'localhost');
    return {
      app,
      stores,
      metrics,
      url,
      bootstrap: boot,
      async close() {
        await app.close();
        await poller.stop();
        await housekeeping.stop();
        await stores.close();
      },
    };
  } catch (err) {
    await stores.close();
    throw err;
  }
}

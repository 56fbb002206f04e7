import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric the server exports, on a registry the app owns (never prom-client's
 * global one), so two servers in one process — as in tests — count separately.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly exchanges = new Counter({
    name: 'openwif_exchanges_total',
    help: 'Token exchanges by outcome and deny reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly exchangeSeconds = new Histogram({
    name: 'openwif_exchange_duration_seconds',
    help: 'Time to answer POST /v1/oauth/token.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly gatewayRequests = new Counter({
    name: 'openwif_gateway_requests_total',
    help: 'Gateway requests by workspace, service account and status.',
    labelNames: ['workspace_id', 'service_account_id', 'status'] as const,
    registers: [this.registry],
  });

  readonly gatewaySeconds = new Histogram({
    name: 'openwif_gateway_duration_seconds',
    help: 'Time from gateway request to the upstream response headers.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}

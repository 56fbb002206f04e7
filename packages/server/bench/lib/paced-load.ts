import http from 'node:http';

export interface PacedResult {
  /** Requests completed per second over the run. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export interface PacedOptions {
  url: string;
  /** Arrivals per second, evenly spaced. */
  rate: number;
  seconds: number;
  body: () => string;
  headers?: Record<string, string>;
  /** Keep-alive sockets available; a request that finds none waits, and that wait counts. */
  maxSockets?: number;
}

/**
 * Open-loop load at a fixed rate, for latency at a given throughput. autocannon's `overallRate`
 * releases each connection's per-second quota in a burst at every second boundary and then
 * corrects for coordinated omission at a 1 ms interval, so its p50/p99 "at half load" are really
 * saturation figures. Here request i is due at start + i/rate whether or not earlier ones have
 * answered, and its latency runs from when it was due (so a stalled server cannot hide behind a
 * paused client), or from when it was actually sent if that was earlier. Latencies in milliseconds.
 */
export async function pacedLoad(options: PacedOptions): Promise<PacedResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 128 });
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const inFlight: Array<Promise<void>> = [];
  const start = performance.now();

  const send = (due: number): Promise<void> =>
    new Promise((resolve) => {
      // Late: the clock started when it was due. Early (by under 1 ms: timers are not finer): at the send.
      const from = Math.min(due, performance.now());
      const body = options.body();
      const request = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...options.headers },
        },
        (response) => {
          response.resume();
          response.once('end', () => {
            latencies.push(performance.now() - from);
            if ((response.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        },
      );
      request.once('error', () => {
        errors++;
        resolve();
      });
      request.end(body);
    });

  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(due));
  }
  await Promise.all(inFlight);
  const elapsedSeconds = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { rps: latencies.length / elapsedSeconds, p50: at(0.5), p90: at(0.9), p99: at(0.99), requests: latencies.length, errors, non2xx };
}

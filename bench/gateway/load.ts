import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Responses other than 2xx, and connection errors/timeouts. */
  failures: number;
}

export interface LoadOptions {
  url: string;
  /** POSTed as JSON; a GET when absent. */
  body?: unknown;
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
  /** Open-loop target rate (requests per second over all connections). */
  rate?: number;
  /** A fresh Idempotency-Key on every request. */
  idempotency?: boolean;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Sends requests under load with autocannon and returns exact latency percentiles (ms). */
export function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const post = options.body !== undefined;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: post ? 'POST' : 'GET',
        connections: options.connections,
        duration: options.durationS,
        overallRate: options.rate,
        headers: { ...(post ? { 'content-type': 'application/json' } : {}), ...options.headers },
        body: post ? JSON.stringify(options.body) : undefined,
        requests: options.idempotency
          ? [
              {
                setupRequest: (request) => ({
                  ...request,
                  headers: { ...request.headers, 'idempotency-key': randomUUID() },
                }),
              },
            ]
          : undefined,
      },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({
          requests: latencies.length,
          rps: Math.round(latencies.length / options.durationS),
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          max: latencies.at(-1) ?? Number.NaN,
          failures: failures + result.errors + result.timeouts,
        });
      },
    );
    instance.on('response', (_client, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
      else failures++;
    });
  });
}

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Client } from 'undici';

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
  /**
   * Open loop at this many requests per second on one connection, evenly spaced (autocannon's
   * rate sends each second's requests back to back, then pauses). `connections` is ignored.
   */
  rate?: number;
  /** A fresh Idempotency-Key on every request. */
  idempotency?: boolean;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

function summarise(latencies: number[], durationS: number, failures: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: Math.round(latencies.length / durationS),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    failures,
  };
}

/**
 * Sends requests under load and returns exact latency percentiles (ms): closed loop over
 * `connections` with autocannon, or open loop at `rate` (paced).
 */
export function load(options: LoadOptions): Promise<LoadResult> {
  return options.rate ? paced(options, options.rate) : closedLoop(options);
}

/**
 * One request every 1/rate s on one kept-alive connection. A request held back by the one before
 * it (still running at its scheduled start) counts from that start, so the wait is not hidden;
 * otherwise from when it is sent (a late timer is the benchmark's, not the server's).
 */
async function paced(options: LoadOptions, rate: number): Promise<LoadResult> {
  const url = new URL(options.url);
  const client = new Client(url.origin, { pipelining: 1 });
  const post = options.body !== undefined;
  const body = post ? JSON.stringify(options.body) : undefined;
  const latencies: number[] = [];
  let failures = 0;
  const total = Math.round(rate * options.durationS);
  const start = performance.now();
  try {
    for (let i = 0; i < total; i++) {
      const scheduled = start + (i * 1000) / rate;
      const wait = scheduled - performance.now();
      if (wait > 0) await sleep(wait);
      const from = wait > 0 ? performance.now() : scheduled;
      const headers: Record<string, string> = {
        ...(post ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
        ...(options.idempotency ? { 'idempotency-key': randomUUID() } : {}),
      };
      try {
        const res = await client.request({
          path: url.pathname,
          method: post ? 'POST' : 'GET',
          headers,
          body,
        });
        await res.body.arrayBuffer();
        if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - from);
        else failures++;
      } catch {
        failures++;
      }
    }
  } finally {
    await client.close();
  }
  return summarise(latencies, options.durationS, failures);
}

function closedLoop(options: LoadOptions): Promise<LoadResult> {
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
        resolve(summarise(latencies, options.durationS, failures + result.errors + result.timeouts));
      },
    );
    instance.on('response', (_client, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
      else failures++;
    });
  });
}

import { describe, expect, it } from 'vitest';
import {
  createHttpRequestStatsAccumulator,
  isCountedRoute,
  LATENCY_BUCKET_BOUNDS_MS,
  latencyQuantileMs,
} from '../../../src/usage/http-request-stats.ts';

const at = new Date('2026-11-30T10:15:42.123Z');
const sample = (latencyMs: number, status = 200) => ({ at, method: 'GET', route: '/me', status, latencyMs });

describe('HTTP request stats', () => {
  it('folds samples into one row per minute, method, route and status', () => {
    const stats = createHttpRequestStatsAccumulator();
    stats.add(sample(0.4));
    stats.add(sample(1));
    stats.add(sample(70));
    stats.add(sample(3, 404));
    stats.add({ ...sample(3), at: new Date('2026-11-30T10:16:00Z') });
    const rows = stats.drain();
    expect(rows).toHaveLength(3);
    const [ok] = rows;
    expect(ok).toMatchObject({ minute: '2026-11-30T10:15:00.000Z', requests: 3, status: 200 });
    expect(ok!.latencyMsSum).toBeCloseTo(71.4, 10);
    // 0.4 and 1 ms in the first bucket (≤ 1 ms), 70 ms in the 50-100 ms one.
    expect(ok!.latencyBuckets[0]).toBe(2);
    expect(ok!.latencyBuckets[LATENCY_BUCKET_BOUNDS_MS.indexOf(100)]).toBe(1);
    expect(ok!.latencyBuckets).toHaveLength(LATENCY_BUCKET_BOUNDS_MS.length + 1);
    expect(stats.size).toBe(0);
  });

  it('merges failed rows back, dropping those that no longer fit', () => {
    const stats = createHttpRequestStatsAccumulator(2);
    stats.add(sample(3));
    const failed = stats.drain();
    stats.add(sample(4));
    stats.add(sample(4, 500));
    stats.restore([...failed, { ...failed[0]!, route: '/other' }]);
    const rows = stats.drain();
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.status === 200)).toMatchObject({ requests: 2, latencyMsSum: 7 });
  });

  it('estimates quantiles inside a bucket, at the last bound in the overflow one, null when empty', () => {
    const buckets = new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);
    expect(latencyQuantileMs(buckets, 0.5)).toBeNull();
    buckets[LATENCY_BUCKET_BOUNDS_MS.indexOf(10)] = 4; // (5, 10] ms
    expect(latencyQuantileMs(buckets, 0.5)).toBe(7.5);
    buckets[buckets.length - 1] = 4; // slower than the last bound
    expect(latencyQuantileMs(buckets, 0.95)).toBe(60_000);
    expect(latencyQuantileMs(buckets, 0.25)).toBe(7.5);
  });

  it('leaves probes and scrapes out', () => {
    expect(isCountedRoute('/health')).toBe(false);
    expect(isCountedRoute('/metrics')).toBe(false);
    expect(isCountedRoute('/documents/:id')).toBe(true);
  });
});

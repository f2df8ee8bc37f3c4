import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyStore } from '../../../src/guards/memory/memory-idempotency-store.ts';
import { createMemoryRateLimiter } from '../../../src/guards/memory/memory-rate-limiter.ts';
import { createSweepSchedule } from '../../../src/guards/postgres/sweep-schedule.ts';

const policies = [{ name: 't-1m', limit: 1, windowS: 60 }];
const now = Date.UTC(2026, 0, 1);

describe('in-process guards stay bounded', () => {
  it('the rate limiter forgets the least recently used subject beyond maxKeys', async () => {
    const limiter = createMemoryRateLimiter({ maxKeys: 2 });
    await limiter.hit({ key: 'a', policies, now });
    expect((await limiter.hit({ key: 'a', policies, now })).allowed).toBe(false);
    await limiter.hit({ key: 'b', policies, now });
    await limiter.hit({ key: 'c', policies, now });
    expect((await limiter.hit({ key: 'a', policies, now })).allowed).toBe(true);
  });

  it('the idempotency store drops stored responses beyond maxBytes', async () => {
    const store = createMemoryIdempotencyStore({ maxBytes: 3000 });
    const response = { status: 200, headers: [], body: new Uint8Array(1000) };
    for (const key of ['a', 'b', 'c']) {
      await store.begin({ key, fingerprint: 'f', lease: key, now, lockTtlS: 60, ttlS: 60 });
      await store.complete({ key, lease: key, response, now, ttlS: 60 });
    }
    const again = (key: string) =>
      store.begin({ key, fingerprint: 'f', lease: 'z', now, lockTtlS: 60, ttlS: 60 });
    expect((await again('c')).kind).toBe('replay');
    expect((await again('a')).kind).toBe('acquired');
  });
});

describe('the sweep schedule', () => {
  it('is due once per interval, starting one interval after first use', () => {
    const schedule = createSweepSchedule(1000);
    expect(schedule.due(0)).toBe(false);
    expect(schedule.due(999)).toBe(false);
    expect(schedule.due(1000)).toBe(true);
    expect(schedule.due(1500)).toBe(false);
    expect(schedule.due(2000)).toBe(true);
  });
});

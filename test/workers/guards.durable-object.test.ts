import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env as bindings } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createGuardMetrics } from '../../src/guards/guard-metrics.ts';
import type { Env } from '../../workers/env.ts';
import {
  createDurableObjectIdempotencyStore,
  createDurableObjectRateLimiter,
} from '../../workers/guards/durable-object-guards.ts';
import { requestDatabase } from '../../workers/request-database.ts';
import { contractEpoch, freshKey, type GuardHarness } from '../contracts/guard-harness.ts';
import { describeIdempotencyContract } from '../contracts/idempotency-store.contract.ts';
import { describeRateLimiterContract } from '../contracts/rate-limiter.contract.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { as, postJson } from './worker-client.ts';

const env = bindings as unknown as Env & Required<Pick<Env, 'RATE_LIMITER' | 'IDEMPOTENCY'>>;

const harness = (): GuardHarness => {
  const rateLimiter = createDurableObjectRateLimiter(env.RATE_LIMITER);
  const idempotency = createDurableObjectIdempotencyStore(env.IDEMPOTENCY);
  return {
    rateLimiter: () => rateLimiter,
    idempotency: () => idempotency,
    app: ({ override, ...options }) =>
      // workerd opens a database client per request context.
      createTestApp(
        { db: requestDatabase(env) },
        {
          ...options,
          override: { guards: { rateLimiter, idempotency, metrics: createGuardMetrics() }, ...override },
        },
      ),
  };
};

describeRateLimiterContract('durable-object', harness);
describeIdempotencyContract('durable-object', harness);

describe('Durable Object guard storage', () => {
  const policies = [{ name: 'do-1m', limit: 2, windowS: 60 }];

  it('keeps rate-limit counts across eviction', async () => {
    const key = freshKey('evict');
    const limiter = createDurableObjectRateLimiter(env.RATE_LIMITER);
    const now = contractEpoch();
    await limiter.hit({ key, policies, now });
    await evictDurableObject(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)));
    expect((await limiter.hit({ key, policies, now })).statuses[0]!.remaining).toBe(0);
  });

  it('deletes a rate-limit subject when its alarm finds every window ended', async () => {
    const key = freshKey('alarm');
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
    // Windows that ended a minute ago: the alarm is due at once.
    await createDurableObjectRateLimiter(env.RATE_LIMITER).hit({ key, policies, now: Date.now() - 120_000 });
    expect(await runInDurableObject(stub, (_, state) => state.storage.kv.get('windows'))).toBeDefined();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_, state) => [...state.storage.kv.list()].length)).toBe(0);
  });

  it('keeps an idempotency record until it expires, then its alarm deletes it', async () => {
    const key = freshKey('alarm');
    const stub = env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(key));
    const store = createDurableObjectIdempotencyStore(env.IDEMPOTENCY);
    const live = { key, fingerprint: 'fp', lease: 'l1', now: Date.now(), lockTtlS: 60, ttlS: 3600 };
    await store.begin(live);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_, state) => state.storage.kv.get('record'))).toBeDefined();

    const expired = { ...live, key: `${key}-old`, now: Date.now() - 7_200_000 };
    const oldStub = env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(expired.key));
    await store.begin(expired);
    expect(await runDurableObjectAlarm(oldStub)).toBe(true);
    expect(await runInDurableObject(oldStub, (_, state) => [...state.storage.kv.list()].length)).toBe(0);
  });
});

describe('the guards in the deployed Worker (Durable Objects by default)', () => {
  const analyze = (sub: string, key: string) =>
    as(
      sub,
      '/analyze',
      postJson({ text: 'The Worker keeps one key per Durable Object.' }, { 'idempotency-key': key }),
    );

  it('rate-limits and replays POST /analyze', async () => {
    const sub = freshKey('worker-user');
    const first = await analyze(sub, 'worker-key-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('RateLimit-Policy')).toMatch(/^"model-1s";q=\d+;w=1$/);
    const replay = await analyze(sub, 'worker-key-1');
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await replay.text()).toBe(await first.text());
    expect((await analyze(sub, 'not a key')).status).toBe(400);
  });
});

import { describe, expect, it } from 'vitest';
import type { RateLimitPolicy } from '../../src/guards/rate-limit/rate-limit-policies.ts';
import { createGuardProbe } from '../helpers/guard-probe.ts';
import { expectProblem } from '../helpers/test-app.ts';
import { contractEpoch, freshKey, type GuardHarness } from './guard-harness.ts';

const burst: RateLimitPolicy = { name: 'test-1s', limit: 5, windowS: 1 };
const sustained: RateLimitPolicy = { name: 'test-1m', limit: 8, windowS: 60 };

/** The RateLimiter contract: every backend (memory, PostgreSQL, Durable Object) passes these. */
export function describeRateLimiterContract(backend: string, harness: () => GuardHarness) {
  describe(`RateLimiter contract: ${backend}`, () => {
    const hits = (key: string, policies: RateLimitPolicy[], now: number, n: number) => {
      const limiter = harness().rateLimiter();
      return Promise.all(Array.from({ length: n }, () => limiter.hit({ key, policies, now })));
    };

    it('lets exactly `limit` requests of a concurrent burst through', async () => {
      const decisions = await hits(freshKey('burst'), [burst], contractEpoch(), 40);
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
      const remaining = decisions.filter((d) => d.allowed).map((d) => d.statuses[0]!.remaining);
      expect(remaining.sort()).toEqual([0, 1, 2, 3, 4]);
      for (const rejected of decisions.filter((d) => !d.allowed)) {
        expect(rejected).toMatchObject({ violated: ['test-1s'], retryAfterS: 1 });
      }
    });

    it('counts a request against every policy, and a rejected one against none', async () => {
      const key = freshKey('multi');
      const t0 = contractEpoch();
      expect((await hits(key, [burst, sustained], t0, 10)).filter((d) => d.allowed)).toHaveLength(5);
      const second = await hits(key, [burst, sustained], t0 + 1000, 10);
      expect(second.filter((d) => d.allowed)).toHaveLength(3);
      const rejected = second.find((d) => !d.allowed)!;
      expect(rejected.violated).toEqual(['test-1m']);
      expect(rejected.retryAfterS).toBe(59);
      // The burst window saw 3 counted requests, not 10.
      expect(rejected.statuses.map((s) => s.remaining)).toEqual([2, 0]);
    });

    it('opens a new window when the old one ends, not before', async () => {
      const key = freshKey('reset');
      const limiter = harness().rateLimiter();
      const t0 = contractEpoch();
      await hits(key, [burst], t0, 5);
      expect((await limiter.hit({ key, policies: [burst], now: t0 + 999 })).allowed).toBe(false);
      const next = await limiter.hit({ key, policies: [burst], now: t0 + 1000 });
      expect(next.allowed).toBe(true);
      expect(next.statuses[0]!.remaining).toBe(4);
    });

    it('reports remaining and seconds to reset exactly', async () => {
      const key = freshKey('exact');
      const limiter = harness().rateLimiter();
      const t0 = contractEpoch();
      const first = await limiter.hit({ key, policies: [sustained], now: t0 + 250 });
      expect(first).toMatchObject({ allowed: true, violated: [], retryAfterS: 0 });
      expect(first.statuses).toEqual([{ policy: sustained, remaining: 7, resetS: 60 }]);
      await hits(key, [sustained], t0 + 30_000, 7);
      const late = await limiter.hit({ key, policies: [sustained], now: t0 + 58_100 });
      expect(late).toMatchObject({ allowed: false, violated: ['test-1m'], retryAfterS: 2 });
      expect(late.statuses).toEqual([{ policy: sustained, remaining: 0, resetS: 2 }]);
    });

    it("never lets one key's requests count against another", async () => {
      const t0 = contractEpoch();
      const alice = freshKey('user:alice');
      await hits(alice, [burst], t0, 5);
      const bob = await hits(`${alice}x`, [burst], t0, 1);
      expect(bob[0]).toMatchObject({ allowed: true, statuses: [{ remaining: 4 }] });
      expect((await hits(alice, [burst], t0, 1))[0]!.allowed).toBe(false);
    });

    it('keeps counting in the newest window when a caller clock lags behind', async () => {
      const key = freshKey('skew');
      const t0 = contractEpoch();
      await hits(key, [burst], t0 + 1000, 5);
      const lagging = await hits(key, [burst], t0 + 999, 1);
      expect(lagging[0]).toMatchObject({ allowed: false, violated: ['test-1s'] });
    });

    describe('through the HTTP middleware', () => {
      const setup = async (policies: string) => {
        const probe = createGuardProbe();
        const now = new Date(contractEpoch());
        const app = await harness().app({
          env: { RATE_LIMIT_POLICIES: policies },
          llm: probe.llm,
          override: { now: () => now },
        });
        probe.mount(app.app);
        return { app, user: freshKey('user') };
      };

      it('sends RateLimit-Policy and RateLimit on every limited response', async () => {
        const { app, user } = await setup('read:3/1s,5/1m');
        const res = await app.as(user, '/test/probe');
        expect(res.status).toBe(200);
        expect(res.headers.get('RateLimit-Policy')).toBe('"read-1s";q=3;w=1, "read-1m";q=5;w=60');
        expect(res.headers.get('RateLimit')).toBe('"read-1s";r=2;t=1, "read-1m";r=4;t=60');
        expect(res.headers.get('Retry-After')).toBeNull();
      });

      it('answers 429 quota-exceeded with Retry-After and the violated policies', async () => {
        const { app, user } = await setup('read:3/1s,5/1m');
        for (let i = 0; i < 3; i++) expect((await app.as(user, '/test/probe')).status).toBe(200);
        const res = await app.as(user, '/test/probe');
        expect(res.headers.get('Retry-After')).toBe('1');
        expect(res.headers.get('RateLimit')).toBe('"read-1s";r=0;t=1, "read-1m";r=2;t=60');
        expect(res.headers.get('RateLimit-Policy')).toBe('"read-1s";q=3;w=1, "read-1m";q=5;w=60');
        const problem = await expectProblem(res, 429);
        expect(problem.type).toBe('urn:cairn:problem:quota-exceeded');
        expect(problem).toMatchObject({ 'violated-policies': ['read-1s'] });
      });

      it('lets exactly `limit` of a concurrent burst through and turns the rest away', async () => {
        const { app, user } = await setup('read:5/1m');
        const statuses = await Promise.all(
          Array.from({ length: 12 }, () => app.as(user, '/test/probe').then((r) => r.status)),
        );
        expect(statuses.filter((s) => s === 200)).toHaveLength(5);
        expect(statuses.filter((s) => s === 429)).toHaveLength(7);
      });

      it('limits each user on their own, and each route class on its own', async () => {
        const { app, user } = await setup('read:2/1m;model:1/1m');
        await app.as(user, '/test/probe');
        await app.as(user, '/test/probe');
        expect((await app.as(user, '/test/probe')).status).toBe(429);
        expect((await app.as(`${user}-other`, '/test/probe')).status).toBe(200);
        const model = await app.as(user, '/test/probe', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: 'hi' }),
        });
        expect(model.status).toBe(201);
        expect(model.headers.get('RateLimit')).toBe('"model-1m";r=0;t=60');
      });
    });
  });
}

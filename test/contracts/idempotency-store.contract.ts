import { describe, expect, it } from 'vitest';
import type { StoredResponse } from '../../src/guards/idempotency/idempotency-store.ts';
import { createGuardProbe } from '../helpers/guard-probe.ts';
import { expectProblem, type TestApp } from '../helpers/test-app.ts';
import { contractEpoch, freshKey, type GuardHarness } from './guard-harness.ts';

const LOCK_TTL_S = 30;
const TTL_S = 3600;

const stored: StoredResponse = {
  status: 201,
  headers: [
    ['content-type', 'application/octet-stream'],
    ['link', '</a>; rel="a"'],
    ['link', '</b>; rel="b"'],
  ],
  body: new Uint8Array([0, 1, 2, 250, 255, 10]),
};

/** The IdempotencyStore contract: every backend (memory, PostgreSQL, Durable Object) passes these. */
export function describeIdempotencyContract(backend: string, harness: () => GuardHarness) {
  describe(`IdempotencyStore contract: ${backend}`, () => {
    const claim = (key: string, fingerprint: string, lease: string, now: number) =>
      harness().idempotency().begin({ key, fingerprint, lease, now, lockTtlS: LOCK_TTL_S, ttlS: TTL_S });
    const complete = (key: string, lease: string, now: number, response = stored) =>
      harness().idempotency().complete({ key, lease, response, now, ttlS: TTL_S });

    it('lets exactly one of many concurrent claims on a key run', async () => {
      const key = freshKey('concurrent');
      const t0 = contractEpoch();
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => claim(key, 'fp', `lease-${i}`, t0)),
      );
      expect(outcomes.filter((o) => o.kind === 'acquired')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'in-flight')).toHaveLength(19);
    });

    it('lets one of many concurrent claims with different bodies run; the other body is a mismatch', async () => {
      const key = freshKey('bodies');
      const t0 = contractEpoch();
      const fps = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'a' : 'b'));
      const outcomes = await Promise.all(fps.map((fp, i) => claim(key, fp, `lease-${i}`, t0)));
      const winner = fps[outcomes.findIndex((o) => o.kind === 'acquired')];
      expect(outcomes.filter((o) => o.kind === 'acquired')).toHaveLength(1);
      outcomes.forEach((o, i) => {
        if (o.kind !== 'acquired') expect(o.kind).toBe(fps[i] === winner ? 'in-flight' : 'mismatch');
      });
    });

    it('replays the stored response byte for byte, repeated headers included', async () => {
      const key = freshKey('replay');
      const t0 = contractEpoch();
      await claim(key, 'fp', 'lease-1', t0);
      expect(await complete(key, 'lease-1', t0 + 10)).toBe(true);
      const replay = await claim(key, 'fp', 'lease-2', t0 + 20);
      expect(replay.kind).toBe('replay');
      if (replay.kind !== 'replay') return;
      expect(replay.response.status).toBe(201);
      expect(replay.response.headers).toEqual(stored.headers);
      expect([...replay.response.body]).toEqual([...stored.body]);
    });

    it('reports a different body as a mismatch while running and after completion', async () => {
      const key = freshKey('mismatch');
      const t0 = contractEpoch();
      await claim(key, 'fp', 'lease-1', t0);
      expect((await claim(key, 'other', 'lease-2', t0 + 1)).kind).toBe('mismatch');
      await complete(key, 'lease-1', t0 + 2);
      expect((await claim(key, 'other', 'lease-3', t0 + 3)).kind).toBe('mismatch');
    });

    it('frees a released key for the next claim', async () => {
      const key = freshKey('release');
      const t0 = contractEpoch();
      await claim(key, 'fp', 'lease-1', t0);
      await harness().idempotency().release({ key, lease: 'lease-1' });
      expect((await claim(key, 'fp', 'lease-2', t0 + 1)).kind).toBe('acquired');
    });

    it('hands a key whose holder stopped answering to the next claim, and ignores the old holder', async () => {
      const key = freshKey('lapsed');
      const t0 = contractEpoch();
      await claim(key, 'fp', 'lease-1', t0);
      expect((await claim(key, 'fp', 'lease-2', t0 + LOCK_TTL_S * 1000 - 1)).kind).toBe('in-flight');
      expect((await claim(key, 'fp', 'lease-2', t0 + LOCK_TTL_S * 1000)).kind).toBe('acquired');
      expect(await complete(key, 'lease-1', t0 + LOCK_TTL_S * 1000 + 1)).toBe(false);
      await harness().idempotency().release({ key, lease: 'lease-1' });
      expect((await claim(key, 'fp', 'lease-3', t0 + LOCK_TTL_S * 1000 + 2)).kind).toBe('in-flight');
      expect(await complete(key, 'lease-2', t0 + LOCK_TTL_S * 1000 + 3)).toBe(true);
      expect((await claim(key, 'fp', 'lease-4', t0 + LOCK_TTL_S * 1000 + 4)).kind).toBe('replay');
    });

    it('forgets a completed key after its TTL', async () => {
      const key = freshKey('expiry');
      const t0 = contractEpoch();
      await claim(key, 'fp', 'lease-1', t0);
      await complete(key, 'lease-1', t0);
      expect((await claim(key, 'fp', 'lease-2', t0 + TTL_S * 1000 - 1)).kind).toBe('replay');
      expect((await claim(key, 'other', 'lease-3', t0 + TTL_S * 1000)).kind).toBe('acquired');
    });

    it('keeps keys apart', async () => {
      const key = freshKey('apart');
      const t0 = contractEpoch();
      await claim(key, 'fp', 'lease-1', t0);
      await complete(key, 'lease-1', t0);
      expect((await claim(`${key}x`, 'fp', 'lease-2', t0)).kind).toBe('acquired');
    });

    describe('through the HTTP middleware', () => {
      const setup = async (env: Record<string, string> = {}) => {
        const probe = createGuardProbe();
        const clock = { now: contractEpoch() };
        const app = await harness().app({
          env,
          llm: probe.llm,
          override: { now: () => new Date(clock.now) },
        });
        probe.mount(app.app);
        return { app, probe, clock, user: freshKey('user') };
      };
      const post = (
        app: TestApp,
        user: string,
        key: string | undefined,
        body: unknown,
        path = '/test/probe',
      ) =>
        app.as(user, path, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            ...(key === undefined ? {} : { 'Idempotency-Key': key }),
          },
          body: JSON.stringify(body),
        });

      it('runs N concurrent identical requests with one key exactly once', async () => {
        const { app, probe, user } = await setup();
        const responses = await Promise.all(
          Array.from({ length: 10 }, () => post(app, user, 'order-1', { text: 'Summarise this.' })),
        );
        expect(probe.modelCalls()).toBe(1);
        const statuses = responses.map((r) => r.status);
        expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
        expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
        expect(
          responses.filter((r) => r.status === 201 && !r.headers.has('Idempotent-Replayed')),
        ).toHaveLength(1);
      });

      it('answers 409 with Retry-After while the first request runs, then replays it', async () => {
        const { app, probe, user } = await setup();
        const held = probe.hold();
        const first = post(app, user, 'order-2', { text: 'Summarise this.' });
        await held.entered;
        const waiting = await Promise.all(
          Array.from({ length: 5 }, () => post(app, user, 'order-2', { text: 'Summarise this.' })),
        );
        for (const res of waiting) {
          expect(res.headers.get('Retry-After')).toBe('1');
          expect((await expectProblem(res, 409)).type).toBe('urn:cairn:problem:idempotency-key-in-use');
        }
        held.release();
        const original = await first;
        expect(original.status).toBe(201);
        expect(original.headers.get('Idempotent-Replayed')).toBeNull();
        const replay = await post(app, user, 'order-2', { text: 'Summarise this.' });
        expect(replay.status).toBe(201);
        expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
        expect(replay.headers.get('Location')).toBe(original.headers.get('Location'));
        expect(replay.headers.get('X-Probe-Call')).toBe('1');
        expect(replay.headers.get('Content-Type')).toBe(original.headers.get('Content-Type'));
        expect(replay.headers.get('X-Request-Id')).not.toBe(original.headers.get('X-Request-Id'));
        expect(await replay.text()).toBe(await original.text());
        expect(probe.modelCalls()).toBe(1);
      });

      it('answers 422 when the key comes back with a different body', async () => {
        const { app, probe, user } = await setup();
        expect((await post(app, user, 'order-3', { text: 'one' })).status).toBe(201);
        const res = await post(app, user, 'order-3', { text: 'two' });
        expect((await expectProblem(res, 422)).type).toBe('urn:cairn:problem:idempotency-key-mismatch');
        expect(probe.modelCalls()).toBe(1);
      });

      it('releases the key after a 5xx so a retry runs, and replays a 4xx', async () => {
        const { app, probe, user } = await setup();
        probe.failNext(503);
        await expectProblem(await post(app, user, 'order-4', { text: 'hi' }), 503);
        const retry = await post(app, user, 'order-4', { text: 'hi' });
        expect(retry.status).toBe(201);
        expect(probe.modelCalls()).toBe(2);

        probe.failNext(404);
        await expectProblem(await post(app, user, 'order-5', { text: 'hi' }), 404);
        const again = await post(app, user, 'order-5', { text: 'hi' });
        expect(again.headers.get('Idempotent-Replayed')).toBe('true');
        await expectProblem(again, 404);
        expect(probe.modelCalls()).toBe(3);
      });

      it('scopes keys to the caller and the route', async () => {
        const { app, probe, user } = await setup();
        await post(app, user, 'shared', { text: 'hi' });
        const other = await post(app, `${user}-other`, 'shared', { text: 'hi' });
        expect(other.headers.get('Idempotent-Replayed')).toBeNull();
        const route = await post(app, user, 'shared', { text: 'hi' }, '/test/probe/other');
        expect(route.headers.get('Idempotent-Replayed')).toBeNull();
        expect(probe.modelCalls()).toBe(3);
      });

      it('runs the request again once the key has expired', async () => {
        const { app, probe, clock, user } = await setup({ IDEMPOTENCY_TTL_S: '60' });
        await post(app, user, 'order-6', { text: 'hi' });
        clock.now += 59_000;
        expect((await post(app, user, 'order-6', { text: 'hi' })).headers.get('Idempotent-Replayed')).toBe(
          'true',
        );
        clock.now += 1_000;
        expect(
          (await post(app, user, 'order-6', { text: 'hi' })).headers.get('Idempotent-Replayed'),
        ).toBeNull();
        expect(probe.modelCalls()).toBe(2);
      });

      it('stores a streamed response when the stream ends and replays the whole stream', async () => {
        const { app, probe, user } = await setup();
        const original = await post(app, user, 'stream-1', { text: 'Tell me something.', stream: true });
        expect(original.headers.get('Content-Type')).toContain('text/event-stream');
        const text = await original.text();
        expect(text).toContain('event: done');
        const replay = await post(app, user, 'stream-1', { text: 'Tell me something.', stream: true });
        expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
        expect(replay.headers.get('Content-Type')).toContain('text/event-stream');
        expect(await replay.text()).toBe(text);
        expect(probe.modelCalls()).toBe(1);
      });

      it('rejects a malformed key with 400 before any work', async () => {
        const { app, probe, user } = await setup();
        for (const key of ['', '""', 'has space', 'x'.repeat(256), 'tab\there', 'back\\slash']) {
          const problem = await expectProblem(await post(app, user, key, { text: 'hi' }), 400);
          expect(problem.errors?.[0]?.pointer).toBe('/header/idempotency-key');
        }
        expect(probe.modelCalls()).toBe(0);
        expect((await post(app, user, `"${'k'.repeat(255)}"`, { text: 'hi' })).status).toBe(201);
      });

      it('runs every request that carries no key', async () => {
        const { app, probe, user } = await setup();
        await post(app, user, undefined, { text: 'hi' });
        await post(app, user, undefined, { text: 'hi' });
        expect(probe.modelCalls()).toBe(2);
      });
    });
  });
}

import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { onStreamedBodyEnd } from '../../http/streamed-body.ts';
import type { Guards } from '../guards.ts';
import { rejected } from '../store-failure.ts';
import { createInflightCounter, type InflightCounter } from './inflight-counter.ts';

// One counter per guards instance, i.e. per process (per isolate on Workers), like the memory guards.
const counters = new WeakMap<Guards, InflightCounter>();

export function inflightCounterFor(guards: Guards): InflightCounter {
  let counter = counters.get(guards);
  if (!counter) {
    counter = createInflightCounter();
    counters.set(guards, counter);
  }
  return counter;
}

function tooManyInflight(limit: number): AppError {
  return new AppError({
    status: 429,
    slug: 'too-many-concurrent-requests',
    title: 'Too many concurrent requests',
    detail: `You already have ${limit} requests in progress; retry when one of them has finished.`,
    headers: { 'Retry-After': '1' },
  });
}

/**
 * Bounds the requests one user has in progress (MAX_INFLIGHT_PER_USER): beyond it, 429 with
 * Retry-After, before the rate limiter counts the request. A request holds its slot until its
 * response body ends, so a stream (SSE, NDJSON: chat, agent runs) counts until its last event or
 * until the client goes away; a failed request releases it at once. Use after requireAuth.
 */
export function inflightLimit(): MiddlewareHandler<AuthedEnv> {
  return async function inflightLimitMiddleware(c, next) {
    const deps = c.get('deps');
    const limit = deps.config.MAX_INFLIGHT_PER_USER;
    const userId = c.get('principal').userId;
    const release = inflightCounterFor(deps.guards).acquire(userId, limit);
    if (!release) {
      const logger = c.get('logger');
      logger.warn('request rejected', { guard: 'inflight', reason: 'too-many-concurrent', limit });
      rejected({ deps, logger }, 'inflight', 'too-many-concurrent');
      throw tooManyInflight(limit);
    }
    let handedToBody = false;
    try {
      await next();
      handedToBody = onStreamedBodyEnd(c, release);
    } finally {
      if (!handedToBody) release();
    }
  };
}

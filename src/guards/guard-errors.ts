import { AppError } from '../errors.ts';
import { rateLimitHeaders } from './rate-limit/rate-limit-headers.ts';
import type { RateLimitDecision } from './rate-limit/rate-limiter.ts';

/** 429 with the draft's `quota-exceeded` problem type and its `violated-policies` member. */
export function quotaExceeded(decision: RateLimitDecision): AppError {
  return new AppError({
    status: 429,
    slug: 'quota-exceeded',
    title: 'Rate limit exceeded',
    detail: `Too many requests: retry after ${decision.retryAfterS} s (${decision.violated.join(', ')}).`,
    headers: { 'Retry-After': String(decision.retryAfterS), ...rateLimitHeaders(decision) },
    extensions: { 'violated-policies': decision.violated },
  });
}

export function invalidIdempotencyKey(detail: string): AppError {
  return new AppError({
    status: 400,
    slug: 'validation-error',
    title: 'Request validation failed',
    detail: 'The Idempotency-Key header is invalid.',
    errors: [{ pointer: '/header/idempotency-key', detail }],
  });
}

export function idempotencyKeyInUse(retryAfterS: number): AppError {
  return new AppError({
    status: 409,
    slug: 'idempotency-key-in-use',
    title: 'Idempotency key in use',
    detail: 'A request with this Idempotency-Key is still being processed; retry later to get its result.',
    headers: { 'Retry-After': String(retryAfterS) },
  });
}

export function idempotencyKeyMismatch(): AppError {
  return new AppError({
    status: 422,
    slug: 'idempotency-key-mismatch',
    title: 'Idempotency key reused',
    detail:
      'This Idempotency-Key was already used with a different request; use a new key for a new request.',
  });
}

export function guardUnavailable(what: string): AppError {
  return new AppError({
    status: 503,
    slug: 'service-unavailable',
    title: 'Service unavailable',
    detail: `${what} is unavailable; the request was not processed. Retry shortly.`,
    headers: { 'Retry-After': '1' },
  });
}

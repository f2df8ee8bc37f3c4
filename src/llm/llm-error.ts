import { AppError } from '../errors.ts';

/**
 * Why a model call failed. Providers translate their own errors into these kinds, so the
 * resilience wrapper decides what to retry without knowing which provider it wraps.
 */
export type LlmErrorKind =
  | 'timeout'
  | 'rate_limited'
  | 'upstream_error'
  | 'connection'
  | 'rejected'
  | 'auth'
  | 'circuit_open'
  | 'overloaded'
  | 'invalid_response'
  | 'aborted';

const http: Record<LlmErrorKind, { status: number; slug: string; title: string }> = {
  timeout: { status: 504, slug: 'upstream-timeout', title: 'Model provider timed out' },
  rate_limited: { status: 503, slug: 'upstream-rate-limited', title: 'Model provider is rate limiting' },
  upstream_error: { status: 502, slug: 'upstream-error', title: 'Upstream model error' },
  connection: { status: 502, slug: 'upstream-unreachable', title: 'Model provider unreachable' },
  // The provider refused the request itself (unknown model, bad parameter): the caller can fix it.
  rejected: { status: 400, slug: 'upstream-rejected', title: 'Model provider rejected the request' },
  // Credentials are cairn's configuration, not the caller's: a gateway failure.
  auth: { status: 502, slug: 'upstream-auth', title: 'Model provider refused cairn credentials' },
  circuit_open: { status: 503, slug: 'circuit-open', title: 'Model provider temporarily disabled' },
  // cairn's own load shedding (LLM_MAX_INFLIGHT): the provider was never asked.
  overloaded: { status: 503, slug: 'model-overloaded', title: 'Too many model calls in flight' },
  invalid_response: {
    status: 502,
    slug: 'upstream-invalid',
    title: 'Model provider sent an invalid response',
  },
  aborted: { status: 499, slug: 'client-closed-request', title: 'Client closed the request' },
};

const retryable = new Set<LlmErrorKind>(['timeout', 'rate_limited', 'upstream_error', 'connection']);

/** A failed model call, renderable as problem+json like any AppError. */
export class LlmError extends AppError {
  readonly kind: LlmErrorKind;
  readonly retryAfterMs: number | undefined;
  readonly upstreamStatus: number | undefined;

  constructor(
    kind: LlmErrorKind,
    detail: string,
    options: { retryAfterMs?: number; upstreamStatus?: number } = {},
  ) {
    const { status, slug, title } = http[kind];
    const retryAfterS =
      options.retryAfterMs === undefined ? undefined : Math.ceil(options.retryAfterMs / 1000);
    super({
      status,
      slug,
      title,
      detail,
      headers: retryAfterS === undefined ? undefined : { 'Retry-After': String(retryAfterS) },
    });
    this.name = 'LlmError';
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
  }

  /** Timeouts, upstream rate limits, 5xx and connection failures may succeed when tried again. */
  get retryable(): boolean {
    return retryable.has(this.kind);
  }
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

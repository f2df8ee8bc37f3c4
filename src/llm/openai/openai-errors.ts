import { LlmError, parseRetryAfter } from '../llm-error.ts';

/** A response header by name (null or undefined when absent). */
export type HeaderLookup = (name: string) => string | null | undefined;

function retryAfterOf(header: HeaderLookup | undefined): number | undefined {
  const ms = Number(header?.('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  return parseRetryAfter(header?.('retry-after'));
}

/** An error status from an OpenAI-compatible server as cairn's LlmError (`detail`: what it said). */
export function fromOpenAiStatus(status: number, detail: string, header?: HeaderLookup): LlmError {
  const message = `The model provider answered ${status}: ${detail}`;
  const options = { upstreamStatus: status, retryAfterMs: retryAfterOf(header) };
  if (status === 429) return new LlmError('rate_limited', message, options);
  if (status === 408) return new LlmError('timeout', message, options);
  if (status === 409 || status >= 500) return new LlmError('upstream_error', message, options);
  if (status === 401 || status === 403) return new LlmError('auth', message, options);
  return new LlmError('rejected', message, options);
}

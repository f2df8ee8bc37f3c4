import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai/error';
import { LlmError, parseRetryAfter } from '../llm-error.ts';

function retryAfterOf(headers: Headers | null | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  return parseRetryAfter(headers?.get('retry-after'));
}

/** An error status from an OpenAI-compatible server as cairn's LlmError (`detail`: what it said). */
export function fromOpenAiStatus(status: number, detail: string, headers?: Headers | null): LlmError {
  const message = `The model provider answered ${status}: ${detail}`;
  const options = { upstreamStatus: status, retryAfterMs: retryAfterOf(headers) };
  if (status === 429) return new LlmError('rate_limited', message, options);
  if (status === 408) return new LlmError('timeout', message, options);
  if (status === 409 || status >= 500) return new LlmError('upstream_error', message, options);
  if (status === 401 || status === 403) return new LlmError('auth', message, options);
  return new LlmError('rejected', message, options);
}

/** Translates what the openai SDK throws into cairn's provider-neutral LlmError. */
export function fromOpenAiError(error: unknown): unknown {
  if (error instanceof LlmError) return error;
  if (error instanceof APIUserAbortError) return new LlmError('aborted', 'The model call was aborted.');
  if (error instanceof APIConnectionTimeoutError)
    return new LlmError('timeout', 'The model provider timed out.');
  if (error instanceof APIConnectionError) {
    return new LlmError('connection', `The model provider could not be reached: ${error.message}`);
  }
  if (error instanceof APIError && error.status !== undefined) {
    return fromOpenAiStatus(error.status, error.message, error.headers);
  }
  if (error instanceof OpenAIError || error instanceof SyntaxError) {
    return new LlmError(
      'invalid_response',
      `The model provider sent an unreadable response: ${error.message}`,
    );
  }
  return error;
}

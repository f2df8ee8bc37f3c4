import type { z } from 'zod';
import type { AppError } from '../../errors.ts';
import type { openAiErrorSchema } from './v1.schemas.ts';

/**
 * The OpenAI-compatible surface: every answer under it, the app's own included (unknown path,
 * wrong method, the pre-auth limiter), takes OpenAI's error shape.
 */
export const isOpenAiPath = (path: string) => path === '/v1' || path.startsWith('/v1/');

// OpenAI's error `type` by status; its SDKs pick their exception class from the status alone.
function errorType(status: number, slug: string): string {
  // A plan's usage quota, not a rate limit: OpenAI's own answer to a spent budget.
  if (slug === 'usage-quota-exhausted') return 'insufficient_quota';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  // 400, 404, 405, 409, 413, 415, 422: OpenAI answers all of these as invalid requests.
  return 'invalid_request_error';
}

// The codes OpenAI's clients branch on; every other error's code is its problem slug, snake_cased.
const openAiCodes: Record<string, string> = {
  'usage-quota-exhausted': 'insufficient_quota',
  // The route class's limit and the pre-auth limiter, as OpenAI names a rate limit.
  'quota-exceeded': 'rate_limit_exceeded',
};

// "/body/messages/0/content" → "messages[0].content", as OpenAI names parameters.
const paramOf = (pointer: string) =>
  pointer
    .replace(/^\/body\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('') || null;

/** An AppError as OpenAI's error body: { error: { message, type, param, code } }. */
export function openAiError(error: AppError): z.input<typeof openAiErrorSchema> {
  const fields = error.errors ?? [];
  const details = fields.map((f) => `${paramOf(f.pointer) ?? 'body'}: ${f.detail}`).join('; ');
  return {
    error: {
      message: details ? `${error.message} ${details}` : error.message,
      type: errorType(error.status, error.slug),
      param: fields[0] ? paramOf(fields[0].pointer) : null,
      code: openAiCodes[error.slug] ?? error.slug.replace(/-/g, '_'),
    },
  };
}

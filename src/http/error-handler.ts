import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describeDatabaseFailure, isDatabaseUnavailable } from '../db/pg-errors.ts';
import { AppError, badRequest, databaseUnavailable, unsupportedMediaType } from '../errors.ts';
import { isOpenAiPath, openAiError } from '../gateway/v1/openai-error-body.ts';
import type { AppEnv } from './app-env.ts';
import { problemResponse } from './problem.ts';

// Hono and its validators raise HTTPException for transport-level problems; give them our shape.
export function fromHttpException(error: HTTPException): AppError {
  if (error.status === 415)
    return unsupportedMediaType('The request body must be sent with a supported Content-Type.');
  if (error.status === 400) return badRequest(error.message || 'The request could not be read.');
  return new AppError({
    status: error.status,
    slug: `http-${error.status}`,
    title: error.message || 'HTTP error',
    detail: error.message || 'The request could not be processed.',
  });
}

/**
 * Any thrown value as an AppError; unknown errors are logged and answered without internals.
 * A database that cannot serve the query now (refused, connect timeout, too many connections,
 * statement timeout, shutting down) is a 503 with Retry-After, not a 500: the request may succeed
 * later (docs/reliability.md).
 */
function toAppError(error: unknown, c: Context<AppEnv>): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  if (isDatabaseUnavailable(error)) {
    c.get('logger')?.warn('database unavailable', { reason: describeDatabaseFailure(error), err: error });
    return databaseUnavailable();
  }
  c.get('logger')?.error('unhandled error', { err: error });
  return new AppError({
    status: 500,
    slug: 'internal',
    title: 'Internal server error',
    detail: isOpenAiPath(c.req.path)
      ? 'The server could not complete the request. Quote the x-request-id header when reporting it.'
      : 'The server could not complete the request. Quote the request_id when reporting it.',
  });
}

/** An AppError in OpenAI's error shape, with its headers (Retry-After, RateLimit, Allow...). */
function openAiErrorResponse(c: Context, error: AppError): Response {
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
  return c.json(openAiError(error), error.status as ContentfulStatusCode);
}

/** An AppError as the caller's client reads it: OpenAI's error shape under /v1, problem+json elsewhere. */
export function errorResponse(c: Context, error: AppError): Response {
  return isOpenAiPath(c.req.path) ? openAiErrorResponse(c, error) : problemResponse(c, error);
}

/** The app's error handler: every thrown error, as problem+json (RFC 9457) or, under /v1, OpenAI's shape. */
export const errorHandler: ErrorHandler<AppEnv> = (error, c: Context<AppEnv>) =>
  errorResponse(c, toAppError(error, c));

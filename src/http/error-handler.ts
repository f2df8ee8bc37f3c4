import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describeDatabaseFailure, isDatabaseUnavailable } from '../db/pg-errors.ts';
import { AppError, badRequest, databaseUnavailable, unsupportedMediaType } from '../errors.ts';
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
 * Maps every thrown error to problem+json; unknown errors are logged and answered without internals.
 * A database that cannot serve the query now (refused, connect timeout, too many connections,
 * statement timeout, shutting down) is a 503 with Retry-After, not a 500: the request may succeed
 * later (docs/reliability.md).
 */
export const errorHandler: ErrorHandler<AppEnv> = (error, c: Context<AppEnv>) => {
  if (error instanceof AppError) return problemResponse(c, error);
  if (error instanceof HTTPException) return problemResponse(c, fromHttpException(error));
  if (isDatabaseUnavailable(error)) {
    c.get('logger')?.warn('database unavailable', { reason: describeDatabaseFailure(error), err: error });
    return problemResponse(c, databaseUnavailable());
  }
  c.get('logger')?.error('unhandled error', { err: error });
  return problemResponse(
    c,
    new AppError({
      status: 500,
      slug: 'internal',
      title: 'Internal server error',
      detail: 'The server could not complete the request. Quote the request_id when reporting it.',
    }),
  );
};

import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, badRequest, unsupportedMediaType } from '../errors.ts';
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

/** Maps every thrown error to problem+json; unknown errors are logged and answered without internals. */
export const errorHandler: ErrorHandler<AppEnv> = (error, c: Context<AppEnv>) => {
  if (error instanceof AppError) return problemResponse(c, error);
  if (error instanceof HTTPException) return problemResponse(c, fromHttpException(error));
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

import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { fromHttpException } from '../../http/error-handler.ts';
import { openAiError } from './openai-error-body.ts';

/** The /v1 router's error handler: the same AppErrors as everywhere, in OpenAI's shape. */
export const openAiErrorHandler: ErrorHandler<AppEnv> = (error, c) => {
  let appError: AppError;
  if (error instanceof AppError) appError = error;
  else if (error instanceof HTTPException) appError = fromHttpException(error);
  else {
    c.get('logger')?.error('unhandled error', { err: error });
    appError = new AppError({
      status: 500,
      slug: 'internal',
      title: 'Internal server error',
      detail: 'The server could not complete the request. Quote the x-request-id header when reporting it.',
    });
  }
  for (const [name, value] of Object.entries(appError.headers ?? {})) c.header(name, value);
  return c.json(openAiError(appError), appError.status as ContentfulStatusCode);
};

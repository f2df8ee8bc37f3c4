import type { ErrorHandler } from 'hono';
import type { AppEnv } from '../../http/app-env.ts';
import { openAiErrorResponse, toAppError } from '../../http/error-handler.ts';

/**
 * The /v1 router's error handler: the same AppErrors as everywhere, in OpenAI's shape. What the app
 * answers before a /v1 route runs (unknown path, wrong method, the pre-auth limiter) takes the same
 * shape in the app's own handlers (src/http/error-handler.ts, src/http/not-found.ts).
 */
export const openAiErrorHandler: ErrorHandler<AppEnv> = (error, c) =>
  openAiErrorResponse(c, toAppError(error, c));

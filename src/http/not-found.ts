import type { Context, NotFoundHandler } from 'hono';
import { PatternRouter } from 'hono/router/pattern-router';
import { AppError, notFound } from '../errors.ts';
import type { AppEnv } from './app-env.ts';
import { errorResponse } from './error-handler.ts';

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * 404 for unknown paths, 405 with `Allow` for known paths called with the wrong method; problem+json,
 * or OpenAI's error shape under /v1.
 * The method index is built once from the app's routes, on the first miss.
 */
export function createNotFoundHandler(
  routes: () => { method: string; path: string }[],
): NotFoundHandler<AppEnv> {
  let index: PatternRouter<string> | undefined;
  const build = () => {
    const router = new PatternRouter<string>();
    for (const route of routes()) {
      if (methods.includes(route.method as (typeof methods)[number]) && route.path !== '/*') {
        router.add(route.method, route.path, route.method);
      }
    }
    return router;
  };
  return (c: Context<AppEnv>) => {
    index ??= build();
    const path = new URL(c.req.url).pathname;
    const allowed = methods.filter((m) => m !== c.req.method && index!.match(m, path)[0].length > 0);
    if (allowed.length > 0) {
      return errorResponse(
        c,
        new AppError({
          status: 405,
          slug: 'method-not-allowed',
          title: 'Method not allowed',
          detail: `${c.req.method} is not supported on ${path}; use ${allowed.join(', ')}.`,
          headers: { Allow: allowed.join(', ') },
        }),
      );
    }
    return errorResponse(c, notFound(`No route matches ${c.req.method} ${path}.`));
  };
}

import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppError, FieldError } from '../errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:cairn:problem:validation-error' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string(),
    errors: z
      .array(z.object({ pointer: z.string().openapi({ example: '/body/text' }), detail: z.string() }))
      .optional(),
  })
  .loose()
  .openapi('Problem');

export type Problem = z.infer<typeof problemSchema>;

const problemType = (slug: string) => `urn:cairn:problem:${slug}`;

export function problemBody(init: {
  status: number;
  slug: string;
  title: string;
  detail: string;
  requestId: string;
  instance?: string;
  errors?: FieldError[];
  extensions?: Record<string, unknown>;
}): Problem {
  return {
    ...init.extensions,
    type: problemType(init.slug),
    title: init.title,
    status: init.status,
    detail: init.detail,
    instance: init.instance,
    request_id: init.requestId,
    ...(init.errors?.length ? { errors: init.errors } : {}),
  };
}

/** Renders an AppError as an RFC 9457 response on the given context. */
export function problemResponse(c: Context, error: AppError): Response {
  const body = problemBody({
    status: error.status,
    slug: error.slug,
    title: error.title,
    detail: error.message,
    requestId: String(c.get('requestId') ?? ''),
    instance: new URL(c.req.url).pathname,
    errors: error.errors,
    extensions: error.extensions,
  });
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
  c.header('Content-Type', PROBLEM_CONTENT_TYPE);
  return c.body(JSON.stringify(body), error.status as ContentfulStatusCode);
}

import type { OpenAPIHonoOptions } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { type FieldError, pointerSegment, validationFailed } from '../errors.ts';
import type { AppEnv } from './app-env.ts';

const targetName: Record<string, string> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
};

/** Turns zod issues into JSON pointers (RFC 6901) rooted at the request part they came from. */
function fieldErrors(error: ZodError, target: string): FieldError[] {
  const root = targetName[target] ?? target;
  return error.issues.map((issue) => ({
    pointer: `/${[root, ...issue.path.map(String)].map(pointerSegment).join('/')}`,
    detail: issue.message,
  }));
}

/** The defaultHook of every router: invalid input becomes a 400 problem with one entry per field. */
export const validationHook: NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']> = (result) => {
  if (result.success) return;
  const errors = fieldErrors(result.error, result.target);
  throw validationFailed(`The request has ${errors.length} invalid field(s).`, errors);
};

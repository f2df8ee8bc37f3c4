/** One invalid field: a JSON pointer into the request (e.g. "/body/text") and what is wrong with it. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/** One reference token of a JSON pointer (RFC 6901): `~` and `/` escaped. */
export const pointerSegment = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The project's typed error. Services throw these; the HTTP layer maps them to
 * RFC 9457 problem+json without knowing which service raised them.
 */
export class AppError extends Error {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly extensions: Record<string, unknown> | undefined;

  constructor(init: {
    status: number;
    slug: string;
    title: string;
    detail: string;
    errors?: FieldError[];
    headers?: Record<string, string>;
    extensions?: Record<string, unknown>;
  }) {
    super(init.detail);
    this.name = 'AppError';
    this.status = init.status;
    this.slug = init.slug;
    this.title = init.title;
    this.errors = init.errors;
    this.headers = init.headers;
    this.extensions = init.extensions;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new AppError({ status: 400, slug: 'bad-request', title: 'Bad request', detail, errors });

export const validationFailed = (detail: string, errors: FieldError[], status: 400 | 422 = 400) =>
  new AppError({ status, slug: 'validation-error', title: 'Request validation failed', detail, errors });

export const unauthorized = (detail: string) =>
  new AppError({
    status: 401,
    slug: 'unauthorized',
    title: 'Unauthorized',
    detail,
    headers: { 'WWW-Authenticate': 'Bearer realm="cairn"' },
  });

export const forbidden = (detail: string) =>
  new AppError({ status: 403, slug: 'forbidden', title: 'Forbidden', detail });

export const notFound = (detail: string) =>
  new AppError({ status: 404, slug: 'not-found', title: 'Not found', detail });

export const conflict = (detail: string, headers?: Record<string, string>) =>
  new AppError({ status: 409, slug: 'conflict', title: 'Conflict', detail, headers });

export const payloadTooLarge = (limitBytes: number) =>
  new AppError({
    status: 413,
    slug: 'payload-too-large',
    title: 'Payload too large',
    detail: `The request body exceeds the limit of ${limitBytes} bytes.`,
  });

export const unsupportedMediaType = (detail: string) =>
  new AppError({ status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type', detail });

export const serviceUnavailable = (detail: string, headers?: Record<string, string>) =>
  new AppError({ status: 503, slug: 'service-unavailable', title: 'Service unavailable', detail, headers });

/** Seconds a client is asked to wait before retrying while the database cannot be reached. */
const DATABASE_RETRY_AFTER_S = 5;

export const databaseUnavailable = () =>
  new AppError({
    status: 503,
    slug: 'database-unavailable',
    title: 'Database unavailable',
    detail: 'The database cannot be reached right now; retry shortly.',
    headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_S) },
  });

import type { components } from './generated/schema.ts';

/** The API's problem details (RFC 9457), as the OpenAPI document declares them. */
export type Problem = components['schemas']['Problem'];
/** One invalid field of a 400: a JSON pointer into the request (`/body/text`) and what is wrong with it. */
export type ProblemFieldError = NonNullable<Problem['errors']>[number];

// The `/v1` routes answer in OpenAI's error shape; its `type` names the status class.
const OPENAI_TYPE_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  rate_limit_error: 429,
  insufficient_quota: 429,
  server_error: 500,
};

interface OpenAiErrorBody {
  error: { message?: string; type?: string; code?: string | null; param?: string | null };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every non-2xx answer of the API, thrown by the client's methods and by the streams (an `error`
 * event). `type` is the problem's URI (`urn:cairn:problem:<slug>`), `errors` the invalid fields of a
 * validation error; `/v1` answers in OpenAI's error shape are mapped onto the same fields.
 */
export class CairnProblemError extends Error {
  override readonly name = 'CairnProblemError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly instance: string | undefined;
  /** The request id the server logged this under (`request_id`, else the `X-Request-Id` header). */
  readonly requestId: string | undefined;
  readonly errors: ProblemFieldError[];
  /** Seconds to wait before retrying, from `Retry-After`, when the server sent one. */
  readonly retryAfter: number | undefined;
  /** The whole parsed body, extension members included (`violated-policies`, `quota`, ...). */
  readonly body: unknown;
  /** The HTTP response, when the error came with one. */
  readonly response: Response | undefined;

  constructor(
    init: {
      status: number;
      type: string;
      title: string;
      detail: string;
      instance?: string | undefined;
      requestId?: string | undefined;
      errors?: ProblemFieldError[] | undefined;
      retryAfter?: number | undefined;
    },
    body?: unknown,
    response?: Response,
  ) {
    super(`${init.status} ${init.title}: ${init.detail}`);
    this.status = init.status;
    this.type = init.type;
    this.title = init.title;
    this.detail = init.detail;
    this.instance = init.instance;
    this.requestId = init.requestId;
    this.errors = init.errors ?? [];
    this.retryAfter = init.retryAfter;
    this.body = body;
    this.response = response;
  }

  /** Reads a parsed error body (problem+json, OpenAI's shape, or anything else) with its response. */
  static from(body: unknown, response?: Response): CairnProblemError {
    const headerId = response?.headers.get('x-request-id') ?? undefined;
    const retryAfter = parseRetryAfter(response?.headers.get('retry-after') ?? null);
    const fallbackStatus = response?.status ?? 0;
    if (isObject(body) && typeof body.type === 'string' && typeof body.title === 'string') {
      const problem = body as Problem;
      return new CairnProblemError(
        {
          status: typeof problem.status === 'number' ? problem.status : fallbackStatus,
          type: problem.type,
          title: problem.title,
          detail: typeof problem.detail === 'string' ? problem.detail : problem.title,
          instance: problem.instance,
          requestId: problem.request_id ?? headerId,
          errors: Array.isArray(problem.errors) ? problem.errors : [],
          retryAfter,
        },
        body,
        response,
      );
    }
    if (isObject(body) && isObject(body.error)) {
      const { error } = body as unknown as OpenAiErrorBody;
      const code = typeof error.code === 'string' ? error.code : undefined;
      const status =
        response && !response.ok ? response.status : (OPENAI_TYPE_STATUS[error.type ?? ''] ?? 500);
      return new CairnProblemError(
        {
          status,
          type: code ? `urn:cairn:problem:${code.replace(/_/g, '-')}` : (error.type ?? 'about:blank'),
          title: error.type ?? 'error',
          detail: error.message ?? '',
          requestId: headerId,
          errors: error.param ? [{ pointer: paramPointer(error.param), detail: error.message ?? '' }] : [],
          retryAfter,
        },
        body,
        response,
      );
    }
    const text = typeof body === 'string' ? body : '';
    return new CairnProblemError(
      {
        status: fallbackStatus,
        type: 'about:blank',
        title: response?.statusText || `HTTP ${fallbackStatus}`,
        detail: text.slice(0, 500),
        requestId: headerId,
        retryAfter,
      },
      body,
      response,
    );
  }
}

// OpenAI's parameter name ("messages[0].content") as the JSON pointer cairn's problems use.
const paramPointer = (param: string) =>
  `/body/${param
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .join('/')}`;

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

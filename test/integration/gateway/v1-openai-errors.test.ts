import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { type DatabaseHandle, openPostgres } from '../../../src/node/open-database.ts';
import { userOnPlan } from '../../helpers/billing.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { openAiEnv } from '../../helpers/openai-env.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { createTestApp, expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';

// Every error under /v1, the app's own answers included (unknown path, wrong method, body limit,
// the pre-auth limiter), reaches the official SDK in OpenAI's shape: the SDK picks its error class
// from the status and reads `type`, `code` and `param` from the body, and X-Request-Id from the
// headers. Every response is also checked against its route's contract by serveApp.

type SdkError = InstanceType<typeof OpenAI.APIError>;
type ErrorClass = abstract new (...args: never[]) => SdkError;

const hi = [{ role: 'user' as const, content: 'hi' }];

async function sdkError(work: Promise<unknown>, errorClass: ErrorClass = OpenAI.APIError): Promise<SdkError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(errorClass);
  const apiError = error as SdkError;
  // The request id reaches the caller on every error (the SDK reads it from X-Request-Id).
  expect(apiError.requestID).toMatch(/.+/);
  return apiError;
}

/** The SDK's error as the assertions read it: status, type, code and param. */
const shape = (error: SdkError) => ({
  status: error.status,
  type: error.type,
  code: error.code,
  param: error.param,
});

/** Serves `app` over HTTP for the SDK for the rest of the describe block; closed (and checked) after it. */
function served(app: () => TestApp) {
  let server: Awaited<ReturnType<typeof serveApp>> | undefined;
  afterAll(() => server?.close());
  return async () => {
    server ??= await serveApp(app());
    return server.url;
  };
}

const client = (
  url: string,
  apiKey: string,
  options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {},
) => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, ...options });

describe.each(databaseKinds)('/v1 speaks OpenAI errors to the SDK on %s', (kind) => {
  const t = useTestApp(kind, { openai: true });
  const url = served(() => t);
  const sdk = async (sub: string) => client(await url(), await t.token(sub));

  it('401 authentication_error for a missing or invalid token', async () => {
    const missing = await sdkError(
      client(await url(), 'unused', { defaultHeaders: { Authorization: null } }).models.list(),
      OpenAI.AuthenticationError,
    );
    expect(shape(missing)).toEqual({
      status: 401,
      type: 'authentication_error',
      code: 'unauthorized',
      param: null,
    });
    const invalid = await sdkError(
      client(await url(), 'not-a-token').chat.completions.create({ model: 'gpt-4o-mini', messages: hi }),
      OpenAI.AuthenticationError,
    );
    expect(shape(invalid)).toMatchObject({ status: 401, type: 'authentication_error', code: 'unauthorized' });
    expect(invalid.headers?.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('403 permission_error for a disabled account', async () => {
    const openai = await sdk('oe-disabled');
    await openai.models.list();
    await t.database.db.execute(sql`update users set status = 'disabled' where id = 'oe-disabled'`);
    t.deps.principalCache.delete('oe-disabled');
    const error = await sdkError(openai.models.list(), OpenAI.PermissionDeniedError);
    expect(shape(error)).toEqual({
      status: 403,
      type: 'permission_error',
      code: 'account_disabled',
      param: null,
    });
  });

  it('404 invalid_request_error for an unknown path, from the app itself', async () => {
    const openai = await sdk('oe-unknown');
    const error = await sdkError(openai.get('/assistants'), OpenAI.NotFoundError);
    expect(shape(error)).toEqual({
      status: 404,
      type: 'invalid_request_error',
      code: 'not_found',
      param: null,
    });
    expect(error.message).toContain('GET /v1/assistants');
    expect(error.headers?.get('content-type')).toMatch(/^application\/json/);
  });

  it('405 with Allow for the wrong method', async () => {
    const openai = await sdk('oe-method');
    const error = await sdkError(openai.get('/chat/completions'));
    expect(shape(error)).toEqual({
      status: 405,
      type: 'invalid_request_error',
      code: 'method_not_allowed',
      param: null,
    });
    expect(error.headers?.get('allow')).toBe('POST');
  });

  it('415 for a body that is not JSON', async () => {
    const openai = await sdk('oe-media');
    const error = await sdkError(
      openai.post('/chat/completions', { body: 'hi', headers: { 'Content-Type': 'text/plain' } }),
    );
    expect(shape(error)).toEqual({
      status: 415,
      type: 'invalid_request_error',
      code: 'unsupported_media_type',
      param: null,
    });
  });

  it('400 invalid_request_error naming the parameter, for invalid fields and for malformed JSON', async () => {
    const openai = await sdk('oe-invalid');
    const invalid = await sdkError(
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [], temperature: 7 }),
      OpenAI.BadRequestError,
    );
    expect(shape(invalid)).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'validation_error',
    });
    expect(['messages', 'temperature']).toContain(invalid.param);
    const malformed = await sdkError(
      openai.post('/embeddings', { body: '{"model":', headers: { 'Content-Type': 'application/json' } }),
      OpenAI.BadRequestError,
    );
    expect(shape(malformed)).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'bad_request',
    });
  });

  it('429 insufficient_quota when the plan is spent', async () => {
    await userOnPlan(t.deps.db, 'oe-quota', { model_requests_per_day: 0 });
    const openai = await sdk('oe-quota');
    const error = await sdkError(
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hi }),
      OpenAI.RateLimitError,
    );
    expect(shape(error)).toEqual({
      status: 429,
      type: 'insufficient_quota',
      code: 'insufficient_quota',
      param: null,
    });
    expect(error.headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('409 idempotency_key_in_use while the first request runs, then 504 upstream_timeout for it', async () => {
    const openai = await sdk('oe-in-use');
    t.openai.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    // A model of its own: its timeouts open the breaker for that model only.
    const body = { model: 'oe-hanging-chat', messages: hi };
    const key = { headers: { 'Idempotency-Key': 'oe-in-use-1' } };
    const first = sdkError(openai.chat.completions.create(body, key), OpenAI.InternalServerError);
    await expect.poll(() => t.openai.requests.length).toBeGreaterThan(0);
    const conflict = await sdkError(openai.chat.completions.create(body, key), OpenAI.ConflictError);
    expect(shape(conflict)).toEqual({
      status: 409,
      type: 'invalid_request_error',
      code: 'idempotency_key_in_use',
      param: null,
    });
    expect(conflict.headers?.get('retry-after')).toMatch(/^\d+$/);
    expect(shape(await first)).toEqual({
      status: 504,
      type: 'server_error',
      code: 'upstream_timeout',
      param: null,
    });
  });

  it('422 idempotency_key_mismatch for a key reused with another body', async () => {
    const openai = await sdk('oe-mismatch');
    const key = { headers: { 'Idempotency-Key': 'oe-mismatch-1' } };
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hi }, key);
    const error = await sdkError(
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hi, seed: 1 }, key),
      OpenAI.UnprocessableEntityError,
    );
    expect(shape(error)).toEqual({
      status: 422,
      type: 'invalid_request_error',
      code: 'idempotency_key_mismatch',
      param: null,
    });
  });

  it('502 and 503 server_error when the provider fails or rate limits', async () => {
    const openai = await sdk('oe-upstream');
    t.openai.script(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 500 })));
    const failed = await sdkError(
      openai.chat.completions.create({ model: 'oe-failing', messages: hi }),
      OpenAI.InternalServerError,
    );
    expect(shape(failed)).toEqual({ status: 502, type: 'server_error', code: 'upstream_error', param: null });
    // A wait longer than LLM_RETRY_MAX_DELAY_MS is passed on to the caller instead of retried.
    t.openai.script({ kind: 'status', status: 429, retryAfter: '30' });
    const limited = await sdkError(
      openai.chat.completions.create({ model: 'oe-limited', messages: hi }),
      OpenAI.InternalServerError,
    );
    expect(shape(limited)).toEqual({
      status: 503,
      type: 'server_error',
      code: 'upstream_rate_limited',
      param: null,
    });
    expect(limited.headers?.get('retry-after')).toBe('30');
  });

  describe('with limits a test reaches', () => {
    // Other apps over the same database and fake provider, each with its own guard counters.
    let limited: TestApp;
    let anonymous: TestApp;
    let small: TestApp;
    beforeAll(() => {
      const env = (extra: Record<string, string>) => ({ env: { ...openAiEnv(t.openai.url), ...extra } });
      limited = createTestApp(
        t.database,
        env({ RATE_LIMIT_POLICIES: 'model:1/1m', MAX_INFLIGHT_PER_USER: '1' }),
      );
      anonymous = createTestApp(t.database, env({ RATE_LIMIT_POLICIES: 'anonymous:1/1m' }));
      small = createTestApp(t.database, env({ BODY_LIMIT_BYTES: '1024' }));
    });
    const limitedUrl = served(() => limited);
    const anonymousUrl = served(() => anonymous);
    const smallUrl = served(() => small);

    it('429 rate_limit_exceeded from the route class limit, with Retry-After and RateLimit', async () => {
      const openai = client(await limitedUrl(), await limited.token('oe-rate'));
      await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hi });
      const error = await sdkError(
        openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hi }),
        OpenAI.RateLimitError,
      );
      expect(shape(error)).toEqual({
        status: 429,
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        param: null,
      });
      expect(error.headers?.get('retry-after')).toMatch(/^\d+$/);
      expect(error.headers?.get('ratelimit')).toContain('model-1m');
      expect(error.headers?.get('ratelimit-policy')).toContain('q=1');
    });

    it('429 too_many_concurrent_requests while the caller has a request in progress', async () => {
      const openai = client(await limitedUrl(), await limited.token('oe-inflight'));
      t.openai.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
      const first = sdkError(
        openai.embeddings.create({ model: 'oe-hanging-embeddings', input: 'slow' }),
        OpenAI.InternalServerError,
      );
      await expect.poll(() => t.openai.requests.length).toBeGreaterThan(0);
      const error = await sdkError(openai.models.list(), OpenAI.RateLimitError);
      expect(shape(error)).toEqual({
        status: 429,
        type: 'rate_limit_error',
        code: 'too_many_concurrent_requests',
        param: null,
      });
      expect(error.headers?.get('retry-after')).toMatch(/^\d+$/);
      expect((await first).status).toBe(504);
    });

    it('429 rate_limit_exceeded from the pre-auth limiter, for requests without and with rejected tokens', async () => {
      const base = await anonymousUrl();
      const bearerless = client(base, 'unused', { defaultHeaders: { Authorization: null } });
      expect((await sdkError(bearerless.models.list(), OpenAI.AuthenticationError)).status).toBe(401);
      for (const openai of [bearerless, client(base, 'not-a-token')]) {
        const error = await sdkError(openai.models.list(), OpenAI.RateLimitError);
        expect(shape(error)).toEqual({
          status: 429,
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
          param: null,
        });
        expect(error.headers?.get('retry-after')).toMatch(/^\d+$/);
        expect(error.headers?.get('ratelimit')).toContain('anonymous-1m');
      }
      // An unknown path is counted too, and refused in the same shape.
      const unknown = await sdkError(bearerless.get('/assistants'), OpenAI.RateLimitError);
      expect(unknown.code).toBe('rate_limit_exceeded');
      // Outside /v1 the same refusal stays problem+json.
      const problem = await expectProblem(await anonymous.request('/me'), 429);
      expect(problem.type).toBe('urn:cairn:problem:quota-exceeded');
    });

    it('413 payload_too_large beyond BODY_LIMIT_BYTES', async () => {
      const openai = client(await smallUrl(), await small.token('oe-large'));
      const error = await sdkError(
        openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'x'.repeat(2000) }],
        }),
      );
      expect(shape(error)).toEqual({
        status: 413,
        type: 'invalid_request_error',
        code: 'payload_too_large',
        param: null,
      });
    });
  });

  it('keeps problem+json outside /v1', async () => {
    await expectProblem(await t.as('oe-outside', '/nowhere'), 404);
    await expectProblem(await t.as('oe-outside', '/analyze'), 405);
  });
});

describe('/v1 while the database is unreachable', () => {
  let database: DatabaseHandle;
  let t: TestApp;
  beforeAll(async () => {
    // Nothing listens on port 1: every connection is refused at once.
    database = await openPostgres(
      loadConfig({ DB_CONNECT_TIMEOUT_S: '2' }),
      'postgres://cairn@127.0.0.1:1/cairn',
    );
    t = createTestApp(database);
  });
  afterAll(() => database.close());
  const url = served(() => t);

  it('503 database_unavailable with Retry-After', async () => {
    const openai = client(await url(), await t.token('oe-outage'));
    const error = await sdkError(openai.models.list(), OpenAI.InternalServerError);
    expect(shape(error)).toEqual({
      status: 503,
      type: 'server_error',
      code: 'database_unavailable',
      param: null,
    });
    expect(error.headers?.get('retry-after')).toMatch(/^\d+$/);
  });
});

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Meter } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { APP_VERSION, createApp } from '../../src/app.ts';
import { mintToken } from '../../src/auth/mint-token.ts';
import type { Role } from '../../src/auth/principal.ts';
import { buildDeps, completeDeps } from '../../src/build-deps.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Deps } from '../../src/deps.ts';
import { createGuards } from '../../src/guards/guards.ts';
import { memoryGuardBackend } from '../../src/guards/memory/memory-guards.ts';
import { postgresGuardBackend } from '../../src/guards/postgres/postgres-guards.ts';
import { PROBLEM_CONTENT_TYPE, type Problem, problemSchema } from '../../src/http/problem.ts';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { createPinnedHttp } from '../../src/node/pinned-http.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { asyncContextStore, createTelemetry } from '../../src/observability/telemetry.ts';
import { correlationFields } from '../../src/observability/tracing.ts';
import { createBatchedUsageWriter } from '../../src/usage/batched-usage-writer.ts';
import { type DatabaseKind, openTestDatabase } from './databases.ts';
import { type FakeOpenAiOptions, type FakeOpenAiServer, startFakeOpenAi } from './fake-openai-server.ts';
import { openAiEnv } from './openai-env.ts';
import { createResponseChecker } from './response-schemas.ts';
import { TEST_JWT_SECRET } from './test-secret.ts';

export { TEST_JWT_SECRET };

// Limits no test reaches by accident; the guards' own tests set RATE_LIMIT_POLICIES themselves.
const UNREACHABLE_RATE_LIMITS =
  'model:1000000/1s;write:1000000/1s;read:1000000/1s;admin:1000000/1s;anonymous:1000000/1s';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  deps: Deps;
  logs: Record<string, unknown>[];
  /**
   * Sends a request through the app in-process (no socket). The response is checked against
   * the OpenAPI contract of the route that answered it (test/helpers/response-schemas.ts).
   */
  request(path: string, init?: RequestInit): Promise<Response>;
  token(sub: string, role?: Role): Promise<string>;
  /** Sends a request with a bearer token for `sub`, checked like `request`. */
  as(sub: string, path: string, init?: RequestInit & { role?: Role }): Promise<Response>;
  /** The check `request` applies, for responses that reach the test another way (serveApp). */
  checkResponse(request: Request, response: Response): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /**
   * The model provider. It goes to `buildDeps({ llm })`, so the app still wraps it with timeouts,
   * retries, the breaker and usage accounting, as in production.
   */
  llm?: NonNullable<Parameters<typeof buildDeps>[0]['llm']>;
  /** Replaces other deps outright (guards, clock, client address). */
  override?: Partial<Omit<Deps, 'llm'>>;
  /**
   * Where the app's metric instruments record (a MeterProvider's meter); a no-op meter when absent.
   * Spans are exported when `env` sets OTEL_EXPORTER_OTLP_ENDPOINT (deps.telemetry.flush() sends them).
   */
  meter?: Meter;
  /**
   * Path prefixes of routes the test mounts itself outside the OpenAPI registry, or with contracts
   * left incomplete on purpose: the only responses not checked against a schema.
   */
  testOnlyRoutes?: readonly string[];
}

/** Builds the real app over a test database, with a known JWT secret and captured JSON logs. */
export function createTestApp(database: Pick<DatabaseHandle, 'db'>, options: TestAppOptions = {}): TestApp {
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'debug',
    RATE_LIMIT_POLICIES: UNREACHABLE_RATE_LIMITS,
    ...options.env,
  });
  const logs: Record<string, unknown>[] = [];
  // As in src/node/server.ts: the running request or job in an AsyncLocalStorage, for spans and log lines.
  const context = asyncContextStore(new AsyncLocalStorage());
  const logger = createLogger({
    level: config.LOG_LEVEL,
    write: (line) => logs.push(JSON.parse(line)),
    context: () => correlationFields(context),
  });
  const telemetry = createTelemetry({
    settings: config,
    serviceVersion: APP_VERSION,
    context,
    logger,
    meter: options.meter,
    export: 'batch',
  });
  // The production writer: tests call deps.usage.flush() before reading usage back.
  const usage = createBatchedUsageWriter({
    db: database.db,
    logger,
    batchSize: config.USAGE_BATCH_SIZE,
    flushIntervalMs: config.USAGE_FLUSH_INTERVAL_MS,
  });
  // RATE_LIMIT_BACKEND / IDEMPOTENCY_BACKEND=postgres put the guards on the test database.
  const testGuards = () =>
    options.override?.guards ??
    createGuards(
      config,
      { memory: memoryGuardBackend, postgres: postgresGuardBackend(database.db, logger) },
      'memory',
    );
  const deps: Deps = {
    ...completeDeps(
      buildDeps({
        config,
        logger,
        telemetry,
        guards: testGuards(),
        llm: options.llm,
        outboundHttp: createPinnedHttp(),
      }),
      database.db,
      usage,
    ),
    ...options.override,
  };
  const app = createApp(() => deps);
  // The app's own registry, so routes a test mounts with app.openapi() are checked too.
  const checkResponse = createResponseChecker(() => app.openAPIRegistry.definitions, {
    testOnlyRoutes: options.testOnlyRoutes,
  });
  const request = async (path: string, init?: RequestInit) => {
    const req = new Request(new URL(path, 'http://localhost'), init);
    const response = await app.request(req);
    await checkResponse(req, response);
    return response;
  };
  const token = (sub: string, role: Role = 'user') =>
    mintToken({
      secret: TEST_JWT_SECRET,
      sub,
      role,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
  return {
    app,
    deps,
    logs,
    request,
    checkResponse,
    token,
    async as(sub, path, init = {}) {
      const { role, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('Authorization', `Bearer ${await token(sub, role)}`);
      return request(path, { ...rest, headers });
    },
  };
}

/** Asserts an RFC 9457 body with this status and returns it, parsed by the problem schema. */
export async function expectProblem(response: Response, status: number): Promise<Problem> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  if (!response.headers.get('content-type')?.startsWith(PROBLEM_CONTENT_TYPE)) {
    throw new Error(`expected problem+json, got ${response.headers.get('content-type')}: ${text}`);
  }
  const body = problemSchema.parse(JSON.parse(text));
  if (body.status !== status || !body.type || !body.title || !body.request_id) {
    throw new Error(`incomplete problem body: ${text}`);
  }
  return body;
}

/**
 * Opens a fresh database for the enclosing describe block and closes it after it. The returned
 * handle is filled in beforeAll, so read it inside tests only. For files that build several apps
 * over one database (`createTestApp(database, options)` per case); useTestApp builds on it.
 */
export function useTestDatabase(kind: DatabaseKind): TestDatabase {
  const database = {} as TestDatabase;
  beforeAll(async () => {
    Object.assign(database, await openTestDatabase(kind));
  });
  afterAll(() => database.close?.());
  return database;
}

type TestDatabase = Awaited<ReturnType<typeof openTestDatabase>>;

interface UseTestAppOptions extends TestAppOptions {
  /**
   * Start the scripted fake OpenAI server (test/helpers/fake-openai-server.ts) before the app and
   * point the app at it (openAiEnv; `env` still overrides). Its recorded requests and unused
   * script are cleared before each test.
   */
  openai?: true | FakeOpenAiOptions;
}

type UsedTestApp<O extends UseTestAppOptions> = TestApp & {
  database: TestDatabase;
} & (O['openai'] extends true | FakeOpenAiOptions ? { openai: FakeOpenAiServer } : unknown);

/**
 * Opens a fresh database and app for the enclosing describe block and closes them after it.
 * The returned object is filled in beforeAll, so read it inside tests only.
 *
 * Every test in the block shares this one database (and app), so each test uses its own user:
 * a distinct `sub` per test (`t.as('search-cursor-alice', ...)`). Everything the API stores is
 * scoped to the caller, so one test's rows stay invisible to another's and tests pass alone, in
 * any order, or concurrently. Admin routes act on the whole database (index versions, dead
 * jobs): a test that changes them gets a describe block of its own, and tests that read them
 * assert on the ids they created, never on totals.
 */
export function useTestApp<const O extends UseTestAppOptions = UseTestAppOptions>(
  kind: DatabaseKind,
  options: O = {} as O,
): UsedTestApp<O> {
  const database = useTestDatabase(kind);
  const context = {} as TestApp & { database: TestDatabase; openai?: FakeOpenAiServer };
  beforeAll(async () => {
    const { openai, ...appOptions } = options;
    const fake = openai ? await startFakeOpenAi(openai === true ? {} : openai) : undefined;
    const env = fake ? { ...openAiEnv(fake.url), ...appOptions.env } : appOptions.env;
    Object.assign(context, createTestApp(database, { ...appOptions, env }), { database, openai: fake });
  });
  if (options.openai) beforeEach(() => context.openai?.reset());
  // Registered after useTestDatabase's, so it runs before the database closes.
  afterAll(() => context.openai?.close());
  return context as UsedTestApp<O>;
}

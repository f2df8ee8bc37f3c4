import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../../src/app.ts';
import { mintToken } from '../../src/auth/mint-token.ts';
import type { Role } from '../../src/auth/principal.ts';
import { buildDeps, completeDeps } from '../../src/build-deps.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Deps } from '../../src/deps.ts';
import { createGuards } from '../../src/guards/guards.ts';
import { memoryGuardBackend } from '../../src/guards/memory/memory-guards.ts';
import { postgresGuardBackend } from '../../src/guards/postgres/postgres-guards.ts';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createBatchedUsageWriter } from '../../src/usage/batched-usage-writer.ts';
import { type DatabaseKind, openTestDatabase } from './databases.ts';

import { TEST_JWT_SECRET } from './test-secret.ts';

export { TEST_JWT_SECRET };

// Limits no test reaches by accident; the guards' own tests set RATE_LIMIT_POLICIES themselves.
const UNREACHABLE_RATE_LIMITS =
  'model:1000000/1s;write:1000000/1s;read:1000000/1s;admin:1000000/1s;anonymous:1000000/1s';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  deps: Deps;
  logs: Record<string, unknown>[];
  /** Sends a request through the app in-process (no socket). */
  request(path: string, init?: RequestInit): Promise<Response>;
  token(sub: string, role?: Role): Promise<string>;
  /** Sends a request with a bearer token for `sub`. */
  as(sub: string, path: string, init?: RequestInit & { role?: Role }): Promise<Response>;
}

/** Builds the real app over a test database, with a known JWT secret and captured JSON logs. */
export function createTestApp(
  database: DatabaseHandle,
  options: { env?: Record<string, string>; override?: Partial<Deps> } = {},
): TestApp {
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'debug',
    RATE_LIMIT_POLICIES: UNREACHABLE_RATE_LIMITS,
    ...options.env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: config.LOG_LEVEL, write: (line) => logs.push(JSON.parse(line)) });
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
    ...completeDeps(buildDeps({ config, logger, guards: testGuards() }), database.db, usage),
    ...options.override,
  };
  const app = createApp(() => deps);
  const request = async (path: string, init?: RequestInit) => app.request(path, init);
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
    token,
    async as(sub, path, init = {}) {
      const { role, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('Authorization', `Bearer ${await token(sub, role)}`);
      return request(path, { ...rest, headers });
    },
  };
}

/** Asserts an RFC 9457 body and returns it. */
export async function expectProblem(response: Response, status: number) {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  if (!response.headers.get('content-type')?.startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${response.headers.get('content-type')}: ${text}`);
  }
  const body = JSON.parse(text) as {
    type: string;
    title: string;
    status: number;
    detail: string;
    request_id: string;
    errors?: { pointer: string; detail: string }[];
  };
  if (body.status !== status || !body.type || !body.title || !body.request_id) {
    throw new Error(`incomplete problem body: ${text}`);
  }
  return body;
}

/** A response body for assertions; tests index into it freely. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
export const readJson = (response: Response): Promise<any> => response.json();

/**
 * Opens a fresh database and app for the enclosing describe block and closes them after it.
 * The returned object is filled in beforeAll, so read it inside tests only.
 */
export function useTestApp(
  kind: DatabaseKind,
  options: Parameters<typeof createTestApp>[1] = {},
): TestApp & { database: DatabaseHandle } {
  const context = {} as TestApp & { database: DatabaseHandle };
  beforeAll(async () => {
    const database = await openTestDatabase(kind);
    Object.assign(context, createTestApp(database, options), { database });
  });
  afterAll(() => context.database?.close());
  return context;
}

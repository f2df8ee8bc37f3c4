import type { z } from '@hono/zod-openapi';
import { agentRunDetailSchema, agentRunSchema } from '../../src/agents/runs/runs.routes.ts';
import type { OutboundHttp } from '../../src/agents/tools/http/outbound-http.ts';
import { createApp } from '../../src/app.ts';
import { mintToken } from '../../src/auth/mint-token.ts';
import type { Role } from '../../src/auth/principal.ts';
import { buildDeps, completeDeps } from '../../src/build-deps.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Deps } from '../../src/deps.ts';
import { nodeGuards } from '../../src/node/node-guards.ts';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createBatchedUsageWriter } from '../../src/usage/batched-usage-writer.ts';

export type AgentRunBody = z.output<typeof agentRunSchema>;
export type AgentRunDetail = z.output<typeof agentRunDetailSchema>;

export interface AgentApp {
  app: ReturnType<typeof createApp>;
  deps: Deps;
  /** A JSON request through the app in-process (no socket), with a bearer token for `sub`. */
  send(sub: string, method: string, path: string, body?: unknown, role?: Role): Promise<Response>;
  /** POST /agent/runs; throws unless it answers 200 with an AgentRun. */
  run(sub: string, body: Record<string, unknown>): Promise<AgentRunBody>;
  /** GET /agent/runs/{id}: the run with its trace and sub-runs. */
  detail(sub: string, runId: string): Promise<AgentRunDetail>;
  /** Stores the usage events still buffered (the database stays open: its owner closes it). */
  close(): Promise<void>;
}

const SECRET = 'agents-bench-secret-at-least-32-characters';
// Guards stay on (as in production) but never refuse: runs are many and come fast.
const UNLIMITED = 'model:1000000/1s;write:1000000/1s;read:1000000/1s;admin:1000000/1s;anonymous:1000000/1s';

/**
 * The real app (every route, guard, the agent loop, accounting) over `database`, driven
 * in-process with `app.request`, as the agents eval and benchmark use it. `env` holds the
 * settings (provider, allowlist); `now` fixes the clock for a reproducible eval.
 */
export function openAgentApp(options: {
  database: Pick<DatabaseHandle, 'db'>;
  env: Record<string, string | undefined>;
  now?: () => Date;
  logLevel?: string;
  /** Where log lines go; stderr by default. */
  logWrite?: (line: string) => void;
  /** The Node server's guards (PostgreSQL-backed when DATABASE_URL is set) instead of in-memory ones. */
  nodeGuards?: boolean;
  /** The http_request transport; the platform's fetch by default. */
  outboundHttp?: OutboundHttp;
}): AgentApp {
  const config = loadConfig({
    ...options.env,
    // After the environment's own: tokens are minted with this secret, and no run may be throttled.
    JWT_SECRET: SECRET,
    RATE_LIMIT_POLICIES: UNLIMITED,
    LOG_LEVEL: options.logLevel ?? 'warn',
  });
  const logger = createLogger({
    level: config.LOG_LEVEL,
    write: options.logWrite ?? ((line) => process.stderr.write(`${line}\n`)),
  });
  const usage = createBatchedUsageWriter({
    db: options.database.db,
    logger,
    batchSize: config.USAGE_BATCH_SIZE,
    flushIntervalMs: config.USAGE_FLUSH_INTERVAL_MS,
  });
  const guards = options.nodeGuards ? nodeGuards(config, options.database.db, logger) : undefined;
  const deps = completeDeps(
    buildDeps({ config, logger, guards, now: options.now, outboundHttp: options.outboundHttp }),
    options.database.db,
    usage,
  );
  const app = createApp(() => deps);
  const tokens = new Map<string, Promise<string>>();
  const token = (sub: string, role: Role) => {
    const key = `${role}:${sub}`;
    let minted = tokens.get(key);
    if (!minted) {
      minted = mintToken({
        secret: SECRET,
        sub,
        role,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      });
      tokens.set(key, minted);
    }
    return minted;
  };
  const send = async (sub: string, method: string, path: string, body?: unknown, role: Role = 'user') =>
    app.request(new URL(path, 'http://localhost'), {
      method,
      headers: {
        authorization: `Bearer ${await token(sub, role)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const expectOk = async (response: Response, what: string) => {
    if (response.status !== 200) throw new Error(`${what}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    app,
    deps,
    send,
    run: async (sub, body) =>
      agentRunSchema.parse(await expectOk(await send(sub, 'POST', '/agent/runs', body), 'POST /agent/runs')),
    detail: async (sub, runId) =>
      agentRunDetailSchema.parse(
        await expectOk(await send(sub, 'GET', `/agent/runs/${runId}`), `GET /agent/runs/${runId}`),
      ),
    close: () => usage.close(),
  };
}

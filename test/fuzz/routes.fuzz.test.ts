import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/mint-token.ts';
import { TEST_BILLING_SECRET } from '../helpers/billing.ts';
import { postJson } from '../helpers/json-request.ts';
import { serveApp } from '../helpers/serve-app.ts';
import { TEST_JWT_SECRET, type TestApp, useTestApp } from '../helpers/test-app.ts';
import { signIn } from '../integration/admin/dashboard-client.ts';
import { answerFaults } from './answer-check.ts';
import { appDocument, type FuzzTarget, fuzzTargets } from './fuzz-targets.ts';
import { type FuzzFixtures, type FuzzRequest, requestsFor } from './request-arbitrary.ts';
import { closeConnections, sendRequest } from './send-request.ts';

// At least this many requests in CI, spread evenly over the targets; FUZZ_RUNS raises it locally.
const TOTAL_REQUESTS = Math.max(10_000, Number(process.env.FUZZ_RUNS ?? 0));
// Requests in flight at once: one target per worker, each running its own fast-check property.
const CONCURRENCY = 4;
// Generous for a loaded 2-core machine: anything slower is a hang, not a slow answer.
const REQUEST_BUDGET_MS = 15_000;
// After a forced GC the heap may keep what the run legitimately left behind: idempotency records
// and rate-limit windows in the in-memory guard stores (kept until their TTL), the principal and
// API-key caches, PGlite's query results in flight. 64 MiB is several times that, and far below
// what 10,000 requests leak at even 10 KB each (~100 MiB).
const HEAP_MARGIN_BYTES = 64 * 1024 * 1024;
// Logged, so a failure can be replayed with FUZZ_SEED; each target runs with seed + its index.
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

const FUZZ_ENV = {
  BILLING_WEBHOOK_SECRET: TEST_BILLING_SECRET,
  ADMIN_SESSION_SECRET: 'fuzz-admin-session-secret-0123456789abcdef',
  // Quotas would refuse most model-class requests before their bodies are validated.
  QUOTA_ENFORCEMENT: 'off',
  // The captured log lines stay in memory; errors are all a 5xx needs, found by request id.
  LOG_LEVEL: 'error',
};

const gc = (): void => {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
};

const heapAfterGc = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Resources the requests can name, other users' credentials, and a dashboard session. */
async function setUpFixtures(t: TestApp, origin: URL, targets: FuzzTarget[]): Promise<FuzzFixtures> {
  const owner = 'fuzz-owner';
  const json = async (res: Response) => {
    if (res.status >= 300) throw new Error(`fixture request failed: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const field = (body: Record<string, unknown>, name: string) => {
    if (typeof body[name] !== 'string') throw new Error(`fixture response without ${name}`);
    return body[name] as string;
  };
  const document = await json(
    await t.as(
      owner,
      '/documents',
      postJson({ title: 'Fuzz', content: 'Partial indexes cover a subset of rows.' }),
    ),
  );
  const chat = await json(
    await t.as(owner, '/chat', postJson({ message: 'What do partial indexes cover?' })),
  );
  const run = await json(await t.as(owner, '/agent/runs', postJson({ input: 'What is 17.5% of 2480?' })));
  const key = await json(await t.as(owner, '/me/api-keys', postJson({ name: 'fuzz' })));
  const revoked = await json(await t.as(owner, '/me/api-keys', postJson({ name: 'revoked' })));
  await t.as(owner, `/me/api-keys/${field(revoked, 'id')}`, { method: 'DELETE' });
  const plans = await json(await t.as('fuzz-admin', '/admin/plans', { role: 'admin' }));
  const versions = await json(await t.as('fuzz-admin', '/admin/index/versions', { role: 'admin' }));
  const idsOf = (list: unknown, name: string) =>
    Array.isArray(list) ? list.map((item) => String((item as Record<string, unknown>)[name])) : [];
  const knownIds = [
    field(document, 'document_id'),
    field(document, 'job_id'),
    field(chat, 'conversation_id'),
    field(run, 'run_id'),
    field(key, 'id'),
    field(revoked, 'id'),
    owner,
    'assistant',
    ...idsOf(plans.items, 'name'),
    ...idsOf(versions.items, 'id'),
  ];
  const token = (sub: string, role: 'user' | 'admin', expiresIn?: string) =>
    mintToken({ secret: TEST_JWT_SECRET, sub, role, ...(expiresIn ? { expiresIn } : {}) });
  const otherCredentials = [
    `Bearer ${field(key, 'key')}`,
    `Bearer ${field(revoked, 'key')}`,
    `Bearer ${await token(owner, 'user')}`,
    `Bearer ${await token('fuzz-expired', 'user', '-1h')}`,
    `Bearer ${await mintToken({ secret: 'not-the-secret-0123456789abcdef0123', sub: 'fuzz-forged', role: 'admin' })}`,
    `Bearer ${field(key, 'key').slice(0, -1)}x`,
  ];
  // Each target has its own users, so a route that erases or disables one spoils no other target.
  const perTarget = new Map<string, { user: string; admin: string }>();
  for (const [i, target] of targets.entries()) {
    perTarget.set(target.name, {
      user: `Bearer ${await token(`fuzz-t${i}-user`, 'user')}`,
      admin: `Bearer ${await token(`fuzz-t${i}-admin`, 'admin')}`,
    });
  }
  return {
    credentials: (target) => {
      const own = perTarget.get(target.name);
      if (!own) throw new Error(`no credentials prepared for ${target.name}`);
      return own;
    },
    otherCredentials,
    knownIds,
    billingSecret: TEST_BILLING_SECRET,
    origin: origin.origin,
    dashboardSession: await signIn(t, await token('fuzz-dashboard-admin', 'admin')),
  };
}

/** A request as a failure report shows it: every part clipped, the body's size given. */
const describeRequest = (request: FuzzRequest) =>
  [
    `${request.method} ${clip(request.target, 400)}`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${clip(value, 200)}`),
    request.body === undefined
      ? '(no body)'
      : `body (${request.body.length} bytes${request.shortContentLength ? ', Content-Length half of it' : ''}): ${clip(request.body.toString('utf8'), 600)}`,
  ].join('\n');

const clip = (text: string, max = 3_000) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

describe('every route answers generated requests over HTTP without a 5xx or a hang', () => {
  const t = useTestApp('pglite', { env: FUZZ_ENV });
  let served: Awaited<ReturnType<typeof serveApp>>;
  let fixtures: FuzzFixtures;
  let targets: FuzzTarget[];
  let resolve: ReturnType<typeof fuzzTargets>['resolve'];

  beforeAll(async () => {
    served = await serveApp(t);
    ({ targets, resolve } = fuzzTargets(t.app));
    fixtures = await setUpFixtures(t, served.origin, targets);
  }, 120_000);

  afterAll(async () => {
    closeConnections();
    await served?.close();
  });

  it('targets every operation of the OpenAPI document and every other route the app serves', () => {
    const { document } = appDocument(t.app);
    const operations = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // Hono's routes, without the middleware it registers for every method.
    const routes = t.app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    expect(new Set(targets.map((target) => target.name))).toEqual(new Set([...operations, ...routes]));
  });

  /** Sends one request and returns its status; throws, with the server's error log for it, on anything wrong with the answer. */
  const check = async (target: FuzzTarget, request: FuzzRequest): Promise<number> => {
    const answer = await sendRequest(served.origin, request, REQUEST_BUDGET_MS);
    const faults = answerFaults(target, request, answer);
    if (faults.length === 0) return answer.status;
    const requestId = answer.headers['x-request-id'];
    const logs = t.logs.filter((line) => line.request_id === requestId).map((line) => JSON.stringify(line));
    throw new Error(
      `${faults.join('; ')}\nanswer: ${answer.status} ${String(answer.headers['content-type'])} ${clip(answer.body, 1_500)}\nserver log: ${clip(logs.join('\n'))}`,
    );
  };

  /** Runs fast-check over each target, CONCURRENCY targets at a time; returns requests sent and failures per target. */
  const fuzzAll = async (runsPerTarget: number, seed: number) => {
    // Per target: requests sent, and how many the route itself accepted (2xx) or redirected (3xx).
    const counts = new Map<string, { sent: number; accepted: number }>();
    const failures: string[] = [];
    const queue = targets.map((target, index) => ({ target, index }));
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { target, index } = next;
        const property = fc.asyncProperty(requestsFor(target, resolve, fixtures), async (request) => {
          const count = counts.get(target.name) ?? { sent: 0, accepted: 0 };
          counts.set(target.name, count);
          count.sent++;
          if ((await check(target, request)) < 400) count.accepted++;
        });
        const details = await fc.check(property, { numRuns: runsPerTarget, seed: seed + index });
        if (details.failed) {
          const [request] = details.counterexample ?? [];
          failures.push(
            `${target.name}, seed ${details.seed}, path ${details.counterexamplePath} (FUZZ_SEED=${SEED}):\n${
              request ? describeRequest(request) : '(no request generated)'
            }\n${clip(String(details.errorInstance), 5_000)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { counts, failures };
  };

  it(`answers ${TOTAL_REQUESTS} requests: every one within ${REQUEST_BUDGET_MS} ms, none 5xx, errors in their shape, the heap back near its start`, async () => {
    console.info(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    // Warm-up: lazy initialisation (schemas, caches, prepared statements) is not a leak.
    const warmUp = await fuzzAll(3, SEED + 1_000_000);
    expect(warmUp.failures, warmUp.failures.join('\n\n')).toEqual([]);
    await t.deps.usage.flush();
    const heapBefore = heapAfterGc();
    const started = performance.now();

    const runs = Math.ceil(TOTAL_REQUESTS / targets.length);
    const { counts, failures } = await fuzzAll(runs, SEED);
    const seconds = (performance.now() - started) / 1000;
    const total = [...counts.values()].reduce((sum, count) => sum + count.sent, 0);
    const perTarget = [...counts].map(([name, { sent, accepted }]) => `  ${sent}\t${accepted}\t${name}`);
    console.info(
      `fuzz: ${total} requests over ${targets.length} targets in ${seconds.toFixed(1)} s (sent, answered below 400, target)\n${perTarget.join('\n')}`,
    );
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(TOTAL_REQUESTS);
    // fast-check ran every target's property to its last run (shrinking only adds to these).
    for (const target of targets)
      expect(counts.get(target.name)?.sent, target.name).toBeGreaterThanOrEqual(runs);

    closeConnections();
    await t.deps.usage.flush();
    const heapAfter = heapAfterGc();
    console.info(`fuzz heap: ${mib(heapBefore)} after warm-up, ${mib(heapAfter)} after the run`);
    expect(heapAfter, `heap grew from ${mib(heapBefore)} to ${mib(heapAfter)}`).toBeLessThan(
      heapBefore + HEAP_MARGIN_BYTES,
    );
  }, 900_000);
});

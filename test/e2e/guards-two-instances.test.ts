import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.ts';
import { analyzeTextRoute } from '../../src/gateway/analyze/analyze.routes.ts';
import { postJson, readBody } from '../helpers/json-request.ts';
import { type ServerProcess, useServersOnSharedPostgres } from './server-process.ts';

// Two `npm start` processes on one PostgreSQL, as behind a load balancer: with DATABASE_URL
// set, both guards default to the PostgreSQL backend.
describe.runIf(process.env.TEST_DATABASE_URL)('two server processes sharing one PostgreSQL', () => {
  const shared = useServersOnSharedPostgres({ RATE_LIMIT_POLICIES: 'model:12/1d' });

  const analyze = (server: ServerProcess, sub: string, key?: string) =>
    server.as(
      sub,
      '/analyze',
      postJson(
        { text: 'Both instances answer from one shared state.' },
        key ? { 'Idempotency-Key': key } : {},
      ),
    );

  it('enforce one rate limit across both', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => analyze(shared.servers[i % 2]!, 'mona')),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(12);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(8);
  });

  it('share one key space: N concurrent identical requests over both run once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => analyze(shared.servers[i % 2]!, 'nina', 'e2e-shared-key')),
    );
    expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const original = responses.find((r) => r.status === 200 && !r.headers.has('Idempotent-Replayed'))!;
    const body = await readBody(original, analyzeTextRoute, 200);
    for (const server of shared.servers) {
      const replay = await analyze(server, 'nina', 'e2e-shared-key');
      expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
      expect(await readBody(replay, analyzeTextRoute, 200)).toEqual(body);
    }
    // Usage is written in batches off the request path: wait for the one execution's events.
    await expect
      .poll(
        async () => {
          const [row] = rowsOf<{ n: number }>(
            await shared.database.db.execute(
              sql`select count(*)::int as n from usage_events where user_id = 'nina'`,
            ),
          );
          return row?.n;
        },
        { timeout: 5000 },
      )
      .toBe(body.attempts);
  });
});

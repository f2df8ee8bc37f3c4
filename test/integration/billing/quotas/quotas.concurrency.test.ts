import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.ts';
import { type DatabaseHandle, openPostgres } from '../../../../src/node/open-database.ts';
import { userOnPlan } from '../../../helpers/billing.ts';
import { postJson } from '../../../helpers/json-request.ts';
import { createTestApp, type TestApp, useTestDatabase } from '../../../helpers/test-app.ts';

const messages = [{ role: 'user', content: 'Say something short about partial indexes.' }];

// Two app instances, each with its own connection pool, over one PostgreSQL database: quotas
// must hold across instances, not only within one process.
describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'usage quotas under concurrency (PostgreSQL, two instances)',
  () => {
    const database = useTestDatabase('postgres');
    let second: DatabaseHandle;
    let apps: TestApp[];

    beforeAll(() => {
      second = openPostgres(loadConfig({ DB_POOL_MAX: '20' }), database.url!);
      apps = [createTestApp(database), createTestApp(second)];
    });
    afterAll(() => second?.close());

    const fire = (user: string, count: number, body: object) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          apps[i % 2]!.as(user, '/v1/chat/completions', postJson(body)),
        ),
      );

    const counters = async (user: string) => {
      await Promise.all(apps.map((app) => app.as(user, '/usage')));
      const [row] = (await database.db.execute(sql`
      select requests_used, requests_reserved, tokens_used::int as tokens_used, tokens_reserved::int as tokens_reserved
      from quota_usage where user_id = ${user}`)) as unknown as Record<string, number>[];
      return row!;
    };

    it('lets exactly the daily limit of 48 parallel requests through', async () => {
      await userOnPlan(database.db, 'cc-req', { model_requests_per_day: 10 });
      const responses = await fire('cc-req', 48, { model: 'local', messages, max_tokens: 32 });
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(38);
      for (const r of responses.filter((res) => res.status === 429)) {
        const body = (await r.json()) as { error: { code: string } };
        expect(body.error.code).toBe('insufficient_quota');
      }
      expect(await counters('cc-req')).toMatchObject({ requests_used: 10, requests_reserved: 0 });
    });

    it('never spends more tokens than the monthly limit plus one estimate', async () => {
      // Each request reserves its input and max_tokens (about 220 tokens): the limit holds a few at once.
      const limit = 1500;
      await userOnPlan(database.db, 'cc-tok', { tokens_per_month: limit });
      const body = { model: 'local', messages, max_tokens: 200 };
      const responses = await fire('cc-tok', 40, body);
      const ok = responses.filter((r) => r.status === 200);
      expect(ok.length).toBeGreaterThan(0);
      expect(responses.filter((r) => r.status === 429).length).toBeGreaterThan(0);
      const spent = ok.length
        ? (await Promise.all(ok.map((r) => r.json() as Promise<{ usage: { total_tokens: number } }>))).reduce(
            (sum, r) => sum + r.usage.total_tokens,
            0,
          )
        : 0;
      const row = await counters('cc-tok');
      expect(row.tokens_reserved).toBe(0);
      expect(row.tokens_used).toBe(spent);
      expect(spent).toBeLessThanOrEqual(limit + 220);
    });
  },
);

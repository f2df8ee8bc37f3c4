import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { createPostgresIdempotencyStore } from '../../../src/guards/postgres/postgres-idempotency-store.ts';
import { createPostgresRateLimiter } from '../../../src/guards/postgres/postgres-rate-limiter.ts';
import { createSweepSchedule } from '../../../src/guards/postgres/sweep-schedule.ts';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { useTestDatabase } from '../../helpers/test-app.ts';

const minute = [{ name: 't-1m', limit: 5, windowS: 60 }];
const t0 = Date.UTC(2026, 0, 1);

const keys = async (
  database: DatabaseHandle,
  table: 'rate_limit_buckets' | 'idempotency_records',
  prefix: string,
) =>
  rowsOf<{ key: string }>(
    await database.db.execute(
      sql`select key from ${sql.identifier(table)} where key like ${`${prefix}%`} order by key`,
    ),
  ).map((r) => r.key);

// A sweep deletes every expired row of its table, whoever wrote it: each test gets a database of
// its own, so no test's sweep can reach another's rows.
describe.each(databaseKinds)('expired guard state on %s', (kind) => {
  describe('sweeping rate-limit buckets', () => {
    const database = useTestDatabase(kind);

    it('sweeps rate-limit buckets whose windows have all ended, and only those', async () => {
      const limiter = createPostgresRateLimiter(database.db);
      await limiter.hit({ key: 'sweep-rl:old', policies: minute, now: t0 });
      await limiter.hit({ key: 'sweep-rl:new', policies: minute, now: t0 + 60_000 });
      expect(await limiter.sweep(t0 + 60_001)).toBeGreaterThanOrEqual(1);
      expect(await keys(database, 'rate_limit_buckets', 'sweep-rl:')).toEqual(['sweep-rl:new']);
    });
  });

  describe('sweeping idempotency keys', () => {
    const database = useTestDatabase(kind);

    it('sweeps idempotency keys past their TTL, running or completed', async () => {
      const store = createPostgresIdempotencyStore(database.db);
      const claim = (key: string, now: number) =>
        store.begin({ key, fingerprint: 'f', lease: key, now, lockTtlS: 10, ttlS: 60 });
      await claim('sweep-id:running', t0);
      await claim('sweep-id:done', t0);
      await store.complete({
        key: 'sweep-id:done',
        lease: 'sweep-id:done',
        response: { status: 200, headers: [], body: new Uint8Array([1]) },
        now: t0,
        ttlS: 60,
      });
      await claim('sweep-id:fresh', t0 + 30_000);
      expect(await store.sweep(t0 + 60_001)).toBeGreaterThanOrEqual(2);
      expect(await keys(database, 'idempotency_records', 'sweep-id:')).toEqual(['sweep-id:fresh']);
    });
  });

  describe('sweeping on a schedule', () => {
    const database = useTestDatabase(kind);

    it('sweeps on its own, off the request path, once the schedule is due', async () => {
      const limiter = createPostgresRateLimiter(database.db, { schedule: createSweepSchedule(60_000) });
      await limiter.hit({ key: 'auto-rl:old', policies: minute, now: t0 });
      await limiter.hit({ key: 'auto-rl:a', policies: minute, now: t0 + 30_000 });
      expect(await keys(database, 'rate_limit_buckets', 'auto-rl:')).toEqual(['auto-rl:a', 'auto-rl:old']);
      await limiter.hit({ key: 'auto-rl:b', policies: minute, now: t0 + 120_000 });
      await expect.poll(() => keys(database, 'rate_limit_buckets', 'auto-rl:')).toEqual(['auto-rl:b']);
    });
  });
});

import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { retentionMaintenance } from '../../../src/account/retention.ts';
import { recordAdminAction } from '../../../src/admin/admin-audit.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { rowsOf } from '../../../src/db/rows.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { createTestApp, useTestDatabase } from '../../helpers/test-app.ts';
import { rowsNaming, seedAccount } from './seed-account.ts';

const RETENTION = {
  EMBEDDING_DIMENSIONS: '64',
  RETENTION_USAGE_EVENTS_DAYS: '90',
  RETENTION_MESSAGES_DAYS: '30',
  RETENTION_AGENT_RUNS_DAYS: '30',
  RETENTION_AUDIT_DAYS: '365',
  RETENTION_BATCH_SIZE: '10',
};

describe.each(databaseKinds)('retention on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('deletes rows older than each setting, in batches of RETENTION_BATCH_SIZE, and keeps the rest', async () => {
    const t = createTestApp(database, { env: RETENTION });
    await seedAccount(t, 'ret-old');
    await seedAccount(t, 'ret-new');
    const db = t.deps.db;
    // Age ret-old's rows beyond every setting; ret-new's stay recent.
    await db.execute(
      sql`update usage_events set created_at = now() - interval '100 days' where user_id = 'ret-old'`,
    );
    await db.execute(sql`
      update messages set created_at = now() - interval '40 days'
      where conversation_id in (select id from conversations where owner_id = 'ret-old')`);
    await db.execute(
      sql`update conversations set updated_at = now() - interval '40 days' where owner_id = 'ret-old'`,
    );
    await db.execute(
      sql`update agent_runs set created_at = now() - interval '40 days' where owner_id = 'ret-old'`,
    );
    await db.execute(
      sql`update agent_tool_audit set created_at = now() - interval '400 days' where user_id = 'ret-old'`,
    );
    await recordAdminAction(db, { actorId: 'ret-admin', action: 'test.old', target: 'user:ret-old' });
    await recordAdminAction(db, { actorId: 'ret-admin', action: 'test.new', target: 'user:ret-new' });
    await db.execute(
      sql`update admin_audit set created_at = now() - interval '400 days' where action = 'test.old'`,
    );
    // 25 old usage events: three sweeps of 10 take them all.
    await db.execute(sql`
      insert into usage_events (created_at, user_id, provider, model, operation, tokens_in, tokens_out, cost_usd, priced, latency_ms, attempts, status)
      select now() - interval '200 days', 'ret-old', 'local', 'm', 'chat', 1, 1, 0, true, 1, 1, 'ok' from generate_series(1, 25)`);
    // Request counts: 12 minutes long past and one recent.
    await db.execute(sql`
      insert into http_request_stats (minute, method, route, status, requests, latency_ms_sum, latency_buckets)
      select date_trunc('minute', now()) - make_interval(days => 200, mins => n), 'GET', '/me', 200, 1, 1, '{1}'::integer[]
      from generate_series(1, 12) as n
      union all select date_trunc('minute', now()), 'GET', '/me', 200, 1, 1, '{1}'::integer[]`);
    const oldUsage = async () =>
      rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from usage_events where user_id = 'ret-old'`),
      )[0]!.n;
    const before = await oldUsage();
    const first = await retentionMaintenance(t.deps);
    expect(first?.usageEvents).toBe(10);
    expect(first?.httpRequestStats).toBe(10);
    expect(await oldUsage()).toBe(before - 10);
    while (((await retentionMaintenance(t.deps))?.usageEvents ?? 0) > 0);
    const stats = rowsOf<{ n: number }>(
      await db.execute(sql`select count(*)::int as n from http_request_stats where route = '/me'`),
    );
    expect(stats[0]?.n).toBe(1);
    const old = await rowsNaming(t, 'ret-old');
    expect(old['usage_events.user_id']).toBe(0);
    expect(old['conversations.owner_id']).toBe(0);
    expect(old['agent_runs.owner_id']).toBe(0);
    expect(old['agent_tool_audit.user_id']).toBe(0);
    // Retention is about age, not accounts: documents and keys stay.
    expect(old['documents.owner_id']).toBe(1);
    expect(old['api_keys.user_id']).toBe(1);
    const kept = await rowsNaming(t, 'ret-new');
    for (const table of [
      'usage_events.user_id',
      'conversations.owner_id',
      'agent_runs.owner_id',
      'agent_tool_audit.user_id',
    ]) {
      expect(kept[table], table).toBeGreaterThan(0);
    }
    const audit = rowsOf<{ action: string }>(
      await db.execute(sql`select action from admin_audit where action like 'test.%' order by action`),
    );
    expect(audit.map((a) => a.action)).toEqual(['test.new']);
    const traces = rowsOf<{ n: number }>(
      await db.execute(
        sql`select count(*)::int as n from agent_trace where run_id not in (select id from agent_runs)`,
      ),
    );
    expect(traces[0]?.n).toBe(0);
  });

  it('with every setting at 0 (the default) nothing is deleted', async () => {
    const t = createTestApp(database, { env: { EMBEDDING_DIMENSIONS: '64' } });
    await seedAccount(t, 'ret-forever');
    await t.deps.db.execute(
      sql`update usage_events set created_at = now() - interval '3000 days' where user_id = 'ret-forever'`,
    );
    expect(await retentionMaintenance(t.deps)).toEqual({
      usageEvents: 0,
      httpRequestStats: 0,
      messages: 0,
      conversations: 0,
      agentRuns: 0,
      agentToolAudit: 0,
      adminAudit: 0,
    });
  });

  it('a failing sweep is logged, not thrown', async () => {
    const t = createTestApp(database, { env: RETENTION });
    const broken = { ...t.deps, db: { execute: () => Promise.reject(new Error('down')) } as never };
    expect(await retentionMaintenance(broken)).toBeUndefined();
    expect(t.logs.some((l) => l.msg === 'retention sweep failed')).toBe(true);
  });

  it('refuses usage retention shorter than 62 days (monthly quotas and billing read them)', () => {
    expect(() => loadConfig({ RETENTION_USAGE_EVENTS_DAYS: '30' })).toThrow(/RETENTION_USAGE_EVENTS_DAYS/);
    expect(loadConfig({ RETENTION_USAGE_EVENTS_DAYS: '62' }).RETENTION_USAGE_EVENTS_DAYS).toBe(62);
  });
});

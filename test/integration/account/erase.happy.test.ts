import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { eraseAccountRoute, eraseUserRoute } from '../../../src/account/account.routes.ts';
import { listAdminAudit } from '../../../src/admin/admin-audit.ts';
import { rowsOf } from '../../../src/db/rows.ts';
import { listDocumentsRoute } from '../../../src/rag/documents/documents.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { expectSeeded, rowsNaming, seedAccount } from './seed-account.ts';

const zeroes = (counts: Record<string, number>) => Object.fromEntries(Object.keys(counts).map((k) => [k, 0]));

describe.each(databaseKinds)('erasing an account on %s', (kind) => {
  const t = useTestApp(kind, { env: { EMBEDDING_DIMENSIONS: '64' } });

  it('DELETE /me leaves no row naming the user, keeps usage and billing under one pseudonym, and is idempotent', async () => {
    const sub = 'erase-alice';
    await seedAccount(t, sub);
    await seedAccount(t, 'erase-bystander');
    const before = await rowsNaming(t, sub);
    expectSeeded(before);
    const usageBefore = before['usage_events.user_id']!;

    const report = await readBody(await t.as(sub, '/me', { method: 'DELETE' }), eraseAccountRoute, 200);
    expect(report).toMatchObject({ documents: 1, conversations: 1, api_keys: 1, user: true });
    expect(report.agent_runs).toBeGreaterThanOrEqual(1);
    expect(report.usage_events_anonymised).toBe(usageBefore);
    expect(report.billing_rows_anonymised).toBe(2);

    const after = await rowsNaming(t, sub);
    expect(after).toEqual(zeroes(after));
    // No trace or message outlives its run or conversation.
    const orphans = rowsOf<{ n: number }>(
      await t.database.db.execute(sql`
        select (select count(*) from agent_trace where run_id not in (select id from agent_runs))::int
             + (select count(*) from messages where conversation_id not in (select id from conversations))::int as n`),
    );
    expect(orphans[0]?.n).toBe(0);
    // Usage and billing kept, all under one pseudonym that is not the user id.
    const pseudonyms = rowsOf<{ user_id: string; n: number }>(
      await t.database.db.execute(sql`
        select user_id, count(*)::int as n from (
          select user_id from usage_events where user_id like 'erased:%'
          union all select user_id from subscriptions where user_id like 'erased:%'
          union all select user_id from usage_records where user_id like 'erased:%') r group by user_id`),
    );
    expect(pseudonyms).toHaveLength(1);
    expect(pseudonyms[0]!.n).toBe(usageBefore + 2);
    expect(pseudonyms[0]!.user_id).not.toContain(sub);
    // The bystander keeps everything.
    expectSeeded(await rowsNaming(t, 'erase-bystander'));

    // Again: nothing left to erase (the request itself recreated an empty user, which goes too).
    const again = await readBody(await t.as(sub, '/me', { method: 'DELETE' }), eraseAccountRoute, 200);
    expect(again).toEqual({
      documents: 0,
      conversations: 0,
      agent_runs: 0,
      agent_tool_calls: 0,
      api_keys: 0,
      usage_events_anonymised: 0,
      billing_rows_anonymised: 0,
      user: true,
    });
  });

  it('an admin erases a user: same result, one admin_audit row with the counts', async () => {
    await seedAccount(t, 'erase-bob');
    const res = await t.as('erase-root', '/admin/users/erase-bob/data', { method: 'DELETE', role: 'admin' });
    const report = await readBody(res, eraseUserRoute, 200);
    expect(report).toMatchObject({ documents: 1, conversations: 1, api_keys: 1, user: true });
    const after = await rowsNaming(t, 'erase-bob');
    expect(after).toEqual(zeroes(after));
    const audit = await listAdminAudit(t.deps, { limit: 10, target: 'user:erase-bob' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      actorId: 'erase-root',
      action: 'user.erase',
      details: expect.objectContaining({ documents: 1, user: true }),
    });
    // Erasing a user that no longer exists is not an error, and changes nothing but the audit log.
    const again = await readBody(
      await t.as('erase-root', '/admin/users/erase-bob/data', { method: 'DELETE', role: 'admin' }),
      eraseUserRoute,
      200,
    );
    expect(again.user).toBe(false);
  });

  it("the erased user's API key stops working at once and their next JWT starts an empty account", async () => {
    const { key } = await seedAccount(t, 'erase-carol');
    expect((await t.request('/me', { headers: { Authorization: `Bearer ${key.key}` } })).status).toBe(200);
    await t.as('erase-carol', '/me', { method: 'DELETE' });
    expect((await t.request('/me', { headers: { Authorization: `Bearer ${key.key}` } })).status).toBe(401);
    const documents = await readBody(await t.as('erase-carol', '/documents'), listDocumentsRoute, 200);
    expect(documents.items).toEqual([]);
  });
});

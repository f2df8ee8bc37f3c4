import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  listUsageRecordsRoute,
  produceUsageRecordsRoute,
} from '../../../src/billing/usage-records/usage-records.routes.ts';
import { adminAudit, subscriptions, usageEvents } from '../../../src/db/schema.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';

const DAY_MS = 86_400_000;

describe.each(databaseKinds)('admin usage records on %s', (kind) => {
  const t = useTestApp(kind);
  const admin = (path: string, init: RequestInit = {}) => t.as('urh-root', path, { ...init, role: 'admin' });

  async function endedSubscription(userId: string, plan: string) {
    expect((await t.as(userId, '/me')).status).toBe(200);
    await admin(`/admin/users/${userId}/subscription`, { ...postJson({ plan }), method: 'PATCH' });
    const start = new Date(Date.now() - 20 * DAY_MS);
    await t.deps.db
      .update(subscriptions)
      .set({ currentPeriodStart: start, currentPeriodEnd: new Date(Date.now() - DAY_MS) })
      .where(eq(subscriptions.userId, userId));
    return start;
  }

  it('POST produces the ended periods with their usage, audited; GET lists them newest first', async () => {
    const start = await endedSubscription('urh-a', 'pro');
    await endedSubscription('urh-b', 'team');
    const base = {
      provider: 'local',
      model: 'local-chat',
      tokensOut: 7,
      costUsd: '0.25',
      priced: true,
      latencyMs: 3,
      attempts: 1,
      status: 'ok',
      userId: 'urh-a',
    };
    const requestId = crypto.randomUUID();
    await t.deps.db.insert(usageEvents).values([
      // One request with two model calls counts once; an embedding alone is no model request.
      {
        ...base,
        createdAt: new Date(start.getTime() + DAY_MS),
        serverRequestId: requestId,
        operation: 'chat',
        tokensIn: 10,
      },
      {
        ...base,
        createdAt: new Date(start.getTime() + DAY_MS),
        serverRequestId: requestId,
        operation: 'chat',
        tokensIn: 20,
      },
      {
        ...base,
        createdAt: new Date(start.getTime() + 2 * DAY_MS),
        serverRequestId: crypto.randomUUID(),
        operation: 'embed',
        tokensIn: 5,
        tokensOut: 0,
      },
    ]);
    const produced = await readBody(
      await admin('/admin/billing/usage-records', postJson({})),
      produceUsageRecordsRoute,
      200,
    );
    const a = produced.items.find((r) => r.user_id === 'urh-a');
    expect(a).toMatchObject({
      plan: 'pro',
      requests: 1,
      tokens_in: 35,
      tokens_out: 14,
      cost_usd: 0.75,
      delivered_at: null,
    });
    expect(a!.period_start).toBe(start.toISOString());
    expect(produced.items.find((r) => r.user_id === 'urh-b')).toMatchObject({ plan: 'team', requests: 0 });

    const audit = await t.deps.db
      .select()
      .from(adminAudit)
      .where(eq(adminAudit.action, 'billing.usage-records.produce'));
    expect(audit.map((r) => r.target)).toEqual(
      expect.arrayContaining([`subscription:${a!.subscription_id}`]),
    );

    const mine = await readBody(
      await admin('/admin/billing/usage-records?user_id=urh-a'),
      listUsageRecordsRoute,
      200,
    );
    expect(mine.items.map((r) => r.id)).toEqual([a!.id]);
    const page = await readBody(
      await admin('/admin/billing/usage-records?limit=1'),
      listUsageRecordsRoute,
      200,
    );
    expect(page.items).toHaveLength(1);
    expect(page.next_cursor).not.toBeNull();
    const next = await readBody(
      await admin(`/admin/billing/usage-records?limit=1&cursor=${page.next_cursor}`),
      listUsageRecordsRoute,
      200,
    );
    expect(next.items[0]!.id).not.toBe(page.items[0]!.id);
  });

  it('a run that finds nothing to produce is audited too', async () => {
    expect((await t.as('urh-none', '/me')).status).toBe(200);
    const produced = await readBody(
      await admin('/admin/billing/usage-records', postJson({ user_id: 'urh-none' })),
      produceUsageRecordsRoute,
      200,
    );
    expect(produced.items).toEqual([]);
    const [row] = await t.deps.db.select().from(adminAudit).where(eq(adminAudit.target, 'user:urh-none'));
    expect(row).toMatchObject({ action: 'billing.usage-records.produce', details: { produced: 0 } });
  });
});

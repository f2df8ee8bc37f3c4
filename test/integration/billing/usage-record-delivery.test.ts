import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_DELIVER_USAGE_RECORD } from '../../../src/billing/usage-records/job-kinds.ts';
import { produceUsageRecordsRoute } from '../../../src/billing/usage-records/usage-records.routes.ts';
import { rowsOf } from '../../../src/db/rows.ts';
import { subscriptions, usageRecords } from '../../../src/db/schema.ts';
import { jobHandlers } from '../../../src/job-handlers.ts';
import { drainJobs } from '../../../src/queue/drain-jobs.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { createTestApp, type TestApp, useTestDatabase } from '../../helpers/test-app.ts';

const USAGE_SECRET = 'usage_webhook_secret_for_tests_0123';
const DAY_MS = 86_400_000;

interface Delivery {
  signatureValid: boolean;
  body: { id: string; type: string; data: { object: Record<string, unknown> } };
}

/** A billing receiver on a local port: checks each signature and answers the statuses scripted per user. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const script = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers['cairn-signature'] ?? '');
      const t = /t=(\d+)/.exec(header)?.[1];
      const v1 = /v1=([0-9a-f]{64})/.exec(header)?.[1];
      const expected = createHmac('sha256', USAGE_SECRET).update(`${t}.${raw}`).digest();
      const signatureValid =
        t !== undefined &&
        v1 !== undefined &&
        Math.abs(Date.now() / 1000 - Number(t)) < 300 &&
        timingSafeEqual(expected, Buffer.from(v1, 'hex'));
      const body = JSON.parse(raw) as Delivery['body'];
      deliveries.push({ signatureValid, body });
      const status = script.get(String(body.data.object.user_id))?.shift() ?? 200;
      res.writeHead(signatureValid ? status : 401, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/billing/usage`,
    deliveries,
    script,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(databaseKinds)('usage records delivered through the job queue on %s', (kind) => {
  const database = useTestDatabase(kind);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let t: TestApp;
  beforeAll(async () => {
    receiver = await startReceiver();
    t = createTestApp(database, {
      env: {
        BILLING_USAGE_WEBHOOK_URL: receiver.url,
        BILLING_USAGE_WEBHOOK_SECRET: USAGE_SECRET,
        JOB_MAX_ATTEMPTS: '3',
        JOB_BACKOFF_BASE_MS: '0',
        JOB_BACKOFF_MAX_MS: '0',
      },
    });
  });
  afterAll(() => receiver.close());

  /** An admin-granted subscription whose month ended a day ago, and its record produced on demand. */
  async function endedPeriodRecord(userId: string) {
    expect((await t.as(userId, '/me')).status).toBe(200);
    const grant = await t.as('ur-root', `/admin/users/${userId}/subscription`, {
      role: 'admin',
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'pro' }),
    });
    expect(grant.status).toBe(200);
    await t.deps.db
      .update(subscriptions)
      .set({
        currentPeriodStart: new Date(Date.now() - 31 * DAY_MS),
        currentPeriodEnd: new Date(Date.now() - DAY_MS),
      })
      .where(eq(subscriptions.userId, userId));
    const res = await t.as('ur-root', '/admin/billing/usage-records', {
      role: 'admin',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId }),
    });
    const { items } = await readBody(res, produceUsageRecordsRoute, 200);
    expect(items).toHaveLength(1);
    return items[0]!;
  }

  const deliveryJob = async (recordId: string) =>
    rowsOf<{ status: string; attempts: number; last_error: string | null }>(
      await t.deps.db.execute(
        sql`select status, attempts, last_error from jobs
            where kind = ${JOB_DELIVER_USAGE_RECORD} and payload->>'usageRecordId' = ${recordId}`,
      ),
    );
  const storedRecord = async (id: string) =>
    (await t.deps.db.select().from(usageRecords).where(eq(usageRecords.id, id)))[0]!;
  const drain = () => drainJobs(t.deps, jobHandlers, { horizonMs: 60_000 });

  it('delivers a record once, signed, and marks it delivered', async () => {
    const record = await endedPeriodRecord('ur-signed');
    await drain();
    const mine = receiver.deliveries.filter((d) => d.body.data.object.user_id === 'ur-signed');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.signatureValid).toBe(true);
    expect(mine[0]!.body).toMatchObject({
      id: `usage_record_${record.id}`,
      type: 'usage_record.created',
      data: { object: { id: record.id, plan: 'pro', requests: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0 } },
    });
    expect(await deliveryJob(record.id)).toEqual([{ status: 'done', attempts: 1, last_error: null }]);
    expect((await storedRecord(record.id)).deliveredAt).toBeInstanceOf(Date);
    // Producing again finds the period recorded: no second record, no second delivery.
    const again = await t.as('ur-root', '/admin/billing/usage-records', {
      role: 'admin',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'ur-signed' }),
    });
    expect((await readBody(again, produceUsageRecordsRoute, 200)).items).toEqual([]);
    await drain();
    expect(receiver.deliveries.filter((d) => d.body.data.object.user_id === 'ur-signed')).toHaveLength(1);
  });

  it('retries a 5xx (and a 429) until the receiver accepts', async () => {
    receiver.script.set('ur-retry', [503, 429, 200]);
    const record = await endedPeriodRecord('ur-retry');
    await drain();
    expect(receiver.deliveries.filter((d) => d.body.data.object.user_id === 'ur-retry')).toHaveLength(3);
    // The jobs table keeps the last failure beside the final success.
    expect(await deliveryJob(record.id)).toEqual([
      { status: 'done', attempts: 3, last_error: 'receiver answered 429' },
    ]);
    expect(await storedRecord(record.id)).toMatchObject({ deliveryError: null });
  });

  it('dead-letters after JOB_MAX_ATTEMPTS failures and leaves the reason on the record', async () => {
    receiver.script.set('ur-dead', [500, 500, 500, 500]);
    const record = await endedPeriodRecord('ur-dead');
    await drain();
    expect(receiver.deliveries.filter((d) => d.body.data.object.user_id === 'ur-dead')).toHaveLength(3);
    expect(await deliveryJob(record.id)).toEqual([
      { status: 'dead', attempts: 3, last_error: 'receiver answered 500' },
    ]);
    const stored = await storedRecord(record.id);
    expect(stored.deliveredAt).toBeNull();
    expect(stored.deliveryError).toBe('dead-lettered: receiver answered 500');
  });

  it('dead-letters a 4xx refusal at once: retrying cannot change it', async () => {
    receiver.script.set('ur-refused', [400]);
    const record = await endedPeriodRecord('ur-refused');
    await drain();
    expect(await deliveryJob(record.id)).toEqual([
      { status: 'dead', attempts: 1, last_error: 'receiver answered 400' },
    ]);
  });
});

describe.each(databaseKinds)('usage records without BILLING_USAGE_WEBHOOK_URL on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('are produced and stored, with no delivery job', async () => {
    const t = createTestApp(database);
    expect((await t.as('ur-nourl', '/me')).status).toBe(200);
    await t.as('ur-root', '/admin/users/ur-nourl/subscription', {
      role: 'admin',
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'team' }),
    });
    await t.deps.db
      .update(subscriptions)
      .set({
        currentPeriodStart: new Date(Date.now() - 31 * DAY_MS),
        currentPeriodEnd: new Date(Date.now() - DAY_MS),
      })
      .where(eq(subscriptions.userId, 'ur-nourl'));
    const res = await t.as('ur-root', '/admin/billing/usage-records', {
      role: 'admin',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    const { items } = await readBody(res, produceUsageRecordsRoute, 200);
    expect(items.map((r) => r.user_id)).toEqual(['ur-nourl']);
    const jobs = rowsOf(
      await t.deps.db.execute(sql`select id from jobs where kind = ${JOB_DELIVER_USAGE_RECORD}`),
    );
    expect(jobs).toEqual([]);
  });
});

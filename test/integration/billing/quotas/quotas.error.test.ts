import { describe, expect, it } from 'vitest';
import { getUsageRoute } from '../../../../src/usage/usage.routes.ts';
import { userOnPlan } from '../../../helpers/billing.ts';
import { databaseKinds } from '../../../helpers/databases.ts';
import { postJson, readBody } from '../../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../../helpers/test-app.ts';

const text = 'Acme Corp shipped the new search in Berlin last week. Customers love how fast it is.';

describe.each(databaseKinds)('usage quotas exhausted on %s', (kind) => {
  const t = useTestApp(kind);

  it('refuses the request past the daily model requests with 429 usage-quota-exhausted', async () => {
    await userOnPlan(t.deps.db, 'x-day', { model_requests_per_day: 2 });
    for (let i = 0; i < 2; i++)
      expect((await t.as('x-day', '/analyze', postJson({ text }))).status).toBe(200);
    const res = await t.as('x-day', '/analyze', postJson({ text }));
    const problem = await expectProblem(res, 429);
    expect(problem.type).toBe('urn:cairn:problem:usage-quota-exhausted');
    const tomorrow = new Date();
    tomorrow.setUTCHours(24, 0, 0, 0);
    expect(problem).toMatchObject({
      quota: 'model_requests_per_day',
      plan: 'plan-x-day',
      limit: 2,
      used: 2,
      requested: 1,
      resets_at: tomorrow.toISOString(),
    });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    // The refusal reserved nothing.
    const usage = await readBody(await t.as('x-day', '/usage'), getUsageRoute, 200);
    expect(usage.quotas.find((q) => q.quota === 'model_requests_per_day')).toMatchObject({
      used: 2,
      reserved: 0,
    });
  });

  it('refuses a request whose estimate does not fit the monthly tokens', async () => {
    // The estimate holds ANALYZE_MAX_OUTPUT_TOKENS (1024) beside the input: more than the plan allows.
    await userOnPlan(t.deps.db, 'x-tok', { tokens_per_month: 500 });
    const problem = await expectProblem(await t.as('x-tok', '/analyze', postJson({ text })), 429);
    expect(problem).toMatchObject({ quota: 'tokens_per_month', limit: 500, used: 0 });
    expect(problem.requested).toBeGreaterThan(1024);
  });

  it("answers OpenAI's insufficient_quota on /v1", async () => {
    await userOnPlan(t.deps.db, 'x-v1', { model_requests_per_day: 0 });
    const res = await t.as(
      'x-v1',
      '/v1/chat/completions',
      postJson({ model: 'local', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(res.status).toBe(429);
    const body = (await res.json()) as {
      error: { type: string; code: string; message: string; param: null };
    };
    expect(body.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota', param: null });
    expect(body.error.message).toContain('model_requests_per_day');
  });

  it('refuses an upload past the documents or stored bytes quota', async () => {
    await userOnPlan(t.deps.db, 'x-docs', { documents: 1, stored_bytes: 1_000 });
    expect(
      (await t.as('x-docs', '/documents', postJson({ title: 'One', content: 'First note.' }))).status,
    ).toBe(202);
    const second = await expectProblem(
      await t.as('x-docs', '/documents', postJson({ title: 'Two', content: 'Second note.' })),
      429,
    );
    expect(second).toMatchObject({ quota: 'documents', limit: 1, used: 1, requested: 1, resets_at: null });

    await userOnPlan(t.deps.db, 'x-bytes', { stored_bytes: 100 });
    const big = await expectProblem(
      await t.as('x-bytes', '/documents', postJson({ title: 'Big', content: 'x'.repeat(200) })),
      429,
    );
    expect(big).toMatchObject({ quota: 'stored_bytes', limit: 100, used: 0 });
    // A declared Content-Length is the size checked (the body is not read twice): a small one passes.
    const body = JSON.stringify({ title: 'Small', content: 'tiny' });
    const small = await t.as('x-bytes', '/documents', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
      body,
    });
    expect(small.status).toBe(202);
    const declaredBig = JSON.stringify({ title: 'Big', content: 'y'.repeat(200) });
    const refused = await expectProblem(
      await t.as('x-bytes', '/documents', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(declaredBig.length) },
        body: declaredBig,
      }),
      429,
    );
    expect(refused).toMatchObject({ quota: 'stored_bytes', requested: declaredBig.length });
  });

  it('lets a request that needs none of an exhausted quota through (embeddings vs model requests)', async () => {
    await userOnPlan(t.deps.db, 'x-embed', { model_requests_per_day: 0 });
    const res = await t.as('x-embed', '/search', postJson({ query: 'anything at all' }));
    expect(res.status).toBe(200);
  });

  it('stops checking with QUOTA_ENFORCEMENT=off', async () => {
    const { createTestApp } = await import('../../../helpers/test-app.ts');
    const off = createTestApp({ db: t.deps.db }, { env: { QUOTA_ENFORCEMENT: 'off' } });
    await userOnPlan(t.deps.db, 'x-off', { model_requests_per_day: 0 });
    expect((await off.as('x-off', '/analyze', postJson({ text }))).status).toBe(200);
  });
});

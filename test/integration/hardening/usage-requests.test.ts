import { describe, expect, it } from 'vitest';
import { getUsageRoute } from '../../../src/usage/usage.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, uploadText } from '../../helpers/rag.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { storedUsage } from '../../helpers/usage-rows.ts';

describe.each(databaseKinds)('usage counts requests by a server-generated id on %s', (kind) => {
  const t = useTestApp(kind);

  it('three requests sent with one X-Request-Id are three requests; the client id is kept', async () => {
    const user = 'usage-requests-mallory';
    for (let i = 0; i < 3; i++) {
      const res = await t.as(
        user,
        '/analyze',
        postJson({ text: `Report number ${i} is fine.` }, { 'X-Request-Id': 'same-id' }),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('same-id');
    }
    const events = (await storedUsage(t)).filter((e) => e.userId === user);
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(new Set(events.map((e) => e.requestId))).toEqual(new Set(['same-id']));
    const serverIds = new Set(events.map((e) => e.serverRequestId));
    expect(serverIds.size).toBe(3);
    for (const id of serverIds) expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const report = await readBody(await t.as(user, '/usage'), getUsageRoute, 200);
    expect(report.totals.requests).toBe(3);
    expect(report.totals.calls).toBe(events.length);
  });

  it('the model calls of one request share its id', async () => {
    const user = 'usage-requests-one';
    await uploadText(t, user, { title: 'Vacuum', content: 'VACUUM reclaims storage held by dead tuples.' });
    await drain(t);
    const before = (await storedUsage(t)).filter((e) => e.userId === user).length;
    // One chat: the query's embedding, then the answer.
    const res = await t.as(user, '/chat', postJson({ message: 'What does VACUUM reclaim?' }));
    expect(res.status).toBe(200);
    const events = (await storedUsage(t)).filter((e) => e.userId === user).slice(before);
    expect(events.map((e) => e.operation).sort()).toEqual(['chat', 'embed']);
    expect(new Set(events.map((e) => e.serverRequestId)).size).toBe(1);
  });
});

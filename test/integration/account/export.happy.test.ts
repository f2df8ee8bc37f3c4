import { describe, expect, it } from 'vitest';
import { exportAccountRoute } from '../../../src/account/account.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { queueText } from '../../helpers/rag.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { seedAccount } from './seed-account.ts';

describe.each(databaseKinds)('GET /me/export on %s', (kind) => {
  const t = useTestApp(kind, { env: { EMBEDDING_DIMENSIONS: '64' } });

  it("returns every section of the caller's data, and key metadata without secrets or hashes", async () => {
    const sub = 'export-alice';
    const seeded = await seedAccount(t, sub);
    await seedAccount(t, 'export-bystander');
    const res = await t.as(sub, '/me/export');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const text = await res.clone().text();
    const body = await readBody(res, exportAccountRoute, 200);
    expect(body.format).toBe('cairn-export/1');
    expect(body.user).toMatchObject({ id: sub, role: 'user', status: 'active' });
    expect(body.documents.map((d) => d.id)).toEqual([seeded.documentId]);
    expect(body.documents[0]?.content).toContain('VACUUM reclaims storage');
    expect(body.conversations.map((c) => c.id)).toEqual([seeded.conversationId]);
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(body.messages.every((m) => m.conversation_id === seeded.conversationId)).toBe(true);
    expect(body.agent_runs.map((r) => r.id)).toContain(seeded.runId);
    expect(body.agent_trace.length).toBeGreaterThan(0);
    expect(body.agent_tool_calls.length).toBeGreaterThan(0);
    expect(body.api_keys.map((k) => k.id)).toEqual([seeded.key.id]);
    expect(body.usage_events.length).toBeGreaterThan(0);
    expect(text).not.toContain(seeded.key.key);
    expect(text).not.toMatch(/"hash"|[0-9a-f]{64}/);
    expect(text).not.toContain('export-bystander');
  });

  it('streams an account larger than one batch of each section in full', async () => {
    const sub = 'export-bulk';
    const ids = new Set<string>();
    for (let i = 0; i < 12; i++) {
      ids.add((await queueText(t, sub, { title: `doc ${i}`, content: `content number ${i}` })).document.id);
    }
    const body = await readBody(await t.as(sub, '/me/export'), exportAccountRoute, 200);
    expect(new Set(body.documents.map((d) => d.id))).toEqual(ids);
    expect(body.documents).toHaveLength(12);
  });

  it('a new account exports with empty sections', async () => {
    const body = await readBody(await t.as('export-empty', '/me/export'), exportAccountRoute, 200);
    expect(body).toMatchObject({
      api_keys: [],
      documents: [],
      conversations: [],
      messages: [],
      agent_runs: [],
      agent_trace: [],
      agent_tool_calls: [],
      usage_events: [],
    });
  });
});

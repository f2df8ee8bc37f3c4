import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listAuditRoute } from '../../../src/agents/audit/audit.routes.ts';
import { agentToolAudit } from '../../../src/db/tables/agents.ts';
import { encodeCursor } from '../../../src/http/pagination.ts';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';

type AuditRow = typeof agentToolAudit.$inferInsert;

const T0 = Date.parse('2026-03-01T10:00:00Z');

/** Stores audit rows for `userId`, the n-th one second after T0 unless given; returns them as stored. */
async function audit(t: TestApp, userId: string, rows: Partial<AuditRow>[]) {
  const runId = randomUUID();
  return t.deps.db
    .insert(agentToolAudit)
    .values(
      rows.map((row, i) => ({
        createdAt: new Date(T0 + i * 1000),
        runId,
        step: i,
        userId,
        tool: 'calculator',
        arguments: { expression: `${i} + 1` },
        decision: 'executed' as const,
        status: 'ok' as const,
        latencyMs: 3,
        resultBytes: 12,
        error: null,
        ...row,
      })),
    )
    .returning();
}

const listAudit = async (t: TestApp, query: string) =>
  readBody(await t.as('audit-admin-root', `/admin/audit?${query}`, { role: 'admin' }), listAuditRoute, 200);

const ids = (page: { items: { id: number }[] }) => page.items.map((item) => item.id);

describe.each(databaseKinds)('GET /admin/audit on %s', (kind) => {
  // The log belongs to the whole database: each test filters on users (or runs) of its own.
  const t = useTestApp(kind);

  it("lists one user's entries newest first, every field as recorded", async () => {
    const user = 'audit-fields-alice';
    const [ok, blocked] = await audit(t, user, [
      {},
      {
        tool: 'http_request',
        arguments: { url: 'https://example.com', headers: { authorization: '[redacted]' } },
        decision: 'blocked_allowlist',
        status: 'blocked',
        latencyMs: 0,
        resultBytes: 0,
        error: 'http_request is not in the allowlist',
      },
    ]);
    await audit(t, 'audit-fields-bob', [{}]);

    const page = await listAudit(t, `user_id=${user}`);
    expect(page).toEqual({
      items: [
        {
          id: blocked!.id,
          created_at: '2026-03-01T10:00:01.000Z',
          run_id: blocked!.runId,
          step: 1,
          user_id: user,
          tool: 'http_request',
          arguments: { url: 'https://example.com', headers: { authorization: '[redacted]' } },
          decision: 'blocked_allowlist',
          status: 'blocked',
          latency_ms: 0,
          result_bytes: 0,
          error: 'http_request is not in the allowlist',
        },
        expect.objectContaining({ id: ok!.id, user_id: user, tool: 'calculator', status: 'ok', error: null }),
      ],
      next_cursor: null,
    });
  });

  it('filters by tool, status, decision and run, together', async () => {
    const user = 'audit-filters-carol';
    const rows = await audit(t, user, [
      { tool: 'calculator', status: 'ok' },
      { tool: 'calculator', status: 'error', error: 'division by zero' },
      { tool: 'search_documents', status: 'timeout', error: 'timed out' },
      { tool: 'http_request', status: 'pending', decision: 'awaiting_approval' },
    ]);
    const [other] = await audit(t, user, [{ tool: 'calculator', status: 'error' }]);
    const at = (...indexes: number[]) => indexes.map((i) => rows[i]!.id);

    expect(ids(await listAudit(t, `user_id=${user}&tool=calculator`))).toEqual([
      ...at(1),
      other!.id,
      ...at(0),
    ]);
    expect(ids(await listAudit(t, `user_id=${user}&status=error`))).toEqual([...at(1), other!.id]);
    expect(ids(await listAudit(t, `user_id=${user}&decision=awaiting_approval`))).toEqual(at(3));
    expect(ids(await listAudit(t, `run_id=${rows[0]!.runId}&status=error`))).toEqual(at(1));
    expect(ids(await listAudit(t, `run_id=${rows[0]!.runId}`))).toEqual(at(3, 2, 1, 0));
    expect(ids(await listAudit(t, `user_id=${user}&tool=calculator&status=timeout`))).toEqual([]);
    expect(ids(await listAudit(t, `user_id=${user}-nobody`))).toEqual([]);
  });

  it('pages through entries without repeating or skipping, ties on time broken by id', async () => {
    const user = 'audit-pages-dave';
    const same = new Date(T0 + 60_000);
    const rows = await audit(t, user, [
      {},
      {},
      { createdAt: same },
      { createdAt: same },
      { createdAt: same },
      {},
      {},
    ]);
    const expected = [...rows]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id)
      .map((row) => row.id);

    const seen: number[][] = [];
    let cursor: string | null = null;
    do {
      const page = await listAudit(t, `user_id=${user}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(ids(page));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.map((page) => page.length)).toEqual([2, 2, 2, 1]);
    expect(seen.flat()).toEqual(expected);
  });

  it('accepts a cursor it could have issued', async () => {
    const cursor = encodeCursor({ t: '2026-03-01T10:00:00.000000', i: '9007199254740991' });
    const page = await listAudit(t, `user_id=audit-cursor-erin&cursor=${cursor}`);
    expect(page).toEqual({ items: [], next_cursor: null });
  });

  it.each(
    Object.entries({
      ...CRAFTED_LIST_CURSORS,
      'a uuid for the id': encodeCursor({ t: '2026-03-01T10:00:00.000000', i: randomUUID() }),
      'an id too large for a bigint': encodeCursor({ t: '2026-03-01T10:00:00.000000', i: '9'.repeat(19) }),
      'a negative id': encodeCursor({ t: '2026-03-01T10:00:00.000000', i: '-1' }),
    }),
  )('400 at /query/cursor for %s', async (_, cursor) => {
    const problem = await expectProblem(
      await t.as('audit-admin-root', `/admin/audit?cursor=${encodeURIComponent(cursor)}`, { role: 'admin' }),
      400,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
  });

  it('refuses filters outside their values', async () => {
    for (const [query, pointer] of [
      ['status=finished', '/query/status'],
      ['decision=allowed', '/query/decision'],
      ['run_id=not-a-uuid', '/query/run_id'],
      ['user_id=', '/query/user_id'],
      ['limit=101', '/query/limit'],
    ]) {
      const res = await t.as('audit-admin-root', `/admin/audit?${query}`, { role: 'admin' });
      const problem = await expectProblem(res, 400);
      expect(
        problem.errors?.map((e) => e.pointer),
        query,
      ).toEqual([pointer]);
    }
  });

  it('is for admins only', async () => {
    const user = 'audit-not-admin-frank';
    await audit(t, user, [{}]);
    await expectProblem(await t.request('/admin/audit'), 401);
    await expectProblem(await t.as(user, `/admin/audit?user_id=${user}`), 403);
  });
});

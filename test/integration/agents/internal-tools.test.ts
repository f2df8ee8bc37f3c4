import { describe, expect, it } from 'vitest';
import { documentInfoTool } from '../../../src/agents/tools/document-info.tool.ts';
import { searchDocumentsTool } from '../../../src/agents/tools/search-documents.tool.ts';
import type { AgentTool } from '../../../src/agents/tools/tool.ts';
import { usageSummaryTool } from '../../../src/agents/tools/usage-summary.tool.ts';
import { searchRoute } from '../../../src/rag/search/search.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, getDocument, queueText } from '../../helpers/rag.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';

/**
 * Runs a tool as the agent loop does: arguments through its input schema, the result through
 * its output schema (a tool may hand the model nothing it did not declare).
 */
async function run(t: TestApp, tool: AgentTool, userId: string, args: Record<string, unknown>) {
  const result = await tool.execute(tool.input.parse(args), {
    deps: t.deps,
    userId,
    role: 'user',
    signal: AbortSignal.timeout(10_000),
    meta: {},
  });
  return tool.output.parse(result);
}

const searchDocuments = async (t: TestApp, userId: string, args: Record<string, unknown>) =>
  (await run(t, searchDocumentsTool, userId, args)) as {
    results: { chunk_id: number; document_id: string; title: string; text: string; score: number }[];
  };

const documentInfo = async (t: TestApp, userId: string, args: Record<string, unknown>) =>
  (await run(t, documentInfoTool, userId, args)) as {
    documents: {
      id: string;
      title: string;
      status: string;
      content_type: string;
      bytes: number;
      chunks: number;
      created_at: string;
      metadata: Record<string, unknown>;
    }[];
    total: number;
  };

const usageSummary = async (t: TestApp, userId: string, args: Record<string, unknown>) =>
  (await run(t, usageSummaryTool, userId, args)) as {
    from: string;
    to: string;
    days: number;
    requests: number;
    calls: number;
    by_model: { provider: string; model: string; calls: number }[];
  };

const VACUUM = 'Vacuum reclaims storage occupied by dead tuples and updates the visibility map.';

describe.each(databaseKinds)('internal agent tools on %s', (kind) => {
  const t = useTestApp(kind);

  describe('search_documents', () => {
    it("finds the caller's passages, with ids to cite, and never another user's", async () => {
      const [alice, bob] = ['tools-search-alice', 'tools-search-bob'];
      const mine = await queueText(t, alice, { title: 'Vacuum notes', content: VACUUM });
      await queueText(t, alice, {
        title: 'Joins',
        content: 'A hash join builds a hash table of the inner side.',
      });
      const theirs = await queueText(t, bob, { title: 'Vacuum too', content: `${VACUUM} Bob's copy.` });
      await drain(t);

      const found = await searchDocuments(t, alice, { query: 'vacuum dead tuples visibility map' });
      expect(found.results[0]).toMatchObject({
        document_id: mine.document_id,
        title: 'Vacuum notes',
        text: VACUUM,
        chunk_id: expect.any(Number),
        score: expect.any(Number),
      });
      expect(found.results.map((r) => r.document_id)).not.toContain(theirs.document_id);

      const bobs = await searchDocuments(t, bob, { query: 'vacuum dead tuples visibility map' });
      expect(bobs.results.map((r) => r.document_id)).toEqual([theirs.document_id]);
    });

    it('returns at most top_k passages, each cut to a bounded length', async () => {
      const sub = 'tools-search-bounds-carol';
      const paragraph = (n: number) =>
        `Paragraph ${n} about checkpoints. ${'WAL segment checkpoint '.repeat(60)}`;
      await queueText(t, sub, {
        title: 'Long',
        content: Array.from({ length: 8 }, (_, i) => paragraph(i)).join('\n\n'),
        chunking: { size: 512, overlap: 0 },
      });
      await drain(t);

      const query = 'checkpoint WAL segment';
      const two = await searchDocuments(t, sub, { query, top_k: 2 });
      expect(two.results).toHaveLength(2);
      const five = await searchDocuments(t, sub, { query });
      expect(five.results.length).toBeGreaterThan(2);
      expect(five.results.length).toBeLessThanOrEqual(5);
      // The same search through the API shows the whole chunks the tool cut.
      const whole = await readBody(
        await t.as(sub, '/search', postJson({ query, mode: 'hybrid', top_k: 5 })),
        searchRoute,
        200,
      );
      const wholeText = new Map(whole.results.map((r) => [r.chunk_id, r.text]));
      expect(Math.max(...[...wholeText.values()].map((text) => text.length))).toBeGreaterThan(1200);
      for (const result of five.results) {
        expect(result.text.length).toBeLessThanOrEqual(1200);
        expect(wholeText.get(result.chunk_id)?.startsWith(result.text)).toBe(true);
      }
    });

    it('finds nothing for a user without documents', async () => {
      expect(await searchDocuments(t, 'tools-search-empty-dave', { query: VACUUM })).toEqual({ results: [] });
    });

    it('refuses arguments outside its schema', () => {
      expect(searchDocumentsTool.input.safeParse({ query: '' }).success).toBe(false);
      expect(searchDocumentsTool.input.safeParse({ query: 'x', top_k: 11 }).success).toBe(false);
      expect(searchDocumentsTool.input.safeParse({ query: 'nul \u0000' }).success).toBe(false);
    });
  });

  describe('document_info', () => {
    it("describes the caller's documents by title, any case, newest first, with the total", async () => {
      const [alice, bob] = ['tools-info-alice', 'tools-info-bob'];
      const first = await queueText(t, alice, {
        title: 'Release Notes 1.0',
        content: 'Version one ships the gateway.',
        metadata: { team: 'docs' },
      });
      const second = await queueText(t, alice, {
        title: 'release notes 2.0',
        content: 'Version two adds agents.',
      });
      await queueText(t, alice, { title: 'Roadmap', content: 'Next: more tools.' });
      await queueText(t, bob, { title: 'Release notes (Bob)', content: 'Bob has notes too.' });
      await drain(t);

      const info = await documentInfo(t, alice, { title: 'RELEASE NOTES' });
      expect(info.total).toBe(2);
      expect(info.documents.map((d) => d.id)).toEqual([second.document_id, first.document_id]);
      const stored = await getDocument(t, alice, first.document_id);
      expect(info.documents[1]).toEqual({
        id: first.document_id,
        title: 'Release Notes 1.0',
        status: 'ready',
        content_type: 'text/markdown',
        bytes: new TextEncoder().encode('Version one ships the gateway.').length,
        chunks: stored.chunk_count,
        created_at: stored.created_at,
        metadata: { team: 'docs' },
      });
      expect(stored.chunk_count).toBeGreaterThan(0);

      const limited = await documentInfo(t, alice, { limit: 1 });
      expect(limited).toMatchObject({ total: 3, documents: [{ title: 'Roadmap' }] });
    });

    it("finds one document by id, and never another user's", async () => {
      const [alice, bob] = ['tools-info-id-alice', 'tools-info-id-bob'];
      const mine = await queueText(t, alice, { title: 'Mine', content: 'Alice wrote this.' });
      const theirs = await queueText(t, bob, { title: 'Theirs', content: 'Bob wrote this.' });

      const found = await documentInfo(t, alice, { document_id: mine.document_id });
      expect(found).toMatchObject({ total: 1, documents: [{ id: mine.document_id, status: 'queued' }] });
      expect(await documentInfo(t, alice, { document_id: theirs.document_id })).toEqual({
        documents: [],
        total: 0,
      });
      expect(await documentInfo(t, alice, { title: 'Theirs' })).toEqual({ documents: [], total: 0 });
    });

    it('matches the title as text: LIKE wildcards are ordinary characters', async () => {
      const sub = 'tools-info-wildcards-carol';
      await queueText(t, sub, { title: '100% coverage', content: 'Every line is tested.' });
      await queueText(t, sub, { title: '1000 tests', content: 'Many tests.' });
      await queueText(t, sub, { title: 'snake_case names', content: 'Names with underscores.' });
      await queueText(t, sub, { title: 'snakeXcase', content: 'Not an underscore.' });

      expect((await documentInfo(t, sub, { title: '%' })).documents.map((d) => d.title)).toEqual([
        '100% coverage',
      ]);
      expect((await documentInfo(t, sub, { title: 'e_c' })).documents.map((d) => d.title)).toEqual([
        'snake_case names',
      ]);
    });
  });

  describe('usage_summary', () => {
    it("counts the caller's usage, stored or still pending, and never another user's", async () => {
      const [alice, bob] = ['tools-usage-alice', 'tools-usage-bob'];
      await t.as(alice, '/analyze', postJson({ text: 'Alice writes a note.' }));
      await t.as(alice, '/analyze', postJson({ text: 'Alice writes another note.' }));
      await t.as(bob, '/analyze', postJson({ text: 'Bob writes one.' }));

      // No flush here: the tool stores what was recorded before it reads.
      const summary = await usageSummary(t, alice, {});
      const today = t.deps.now().toISOString().slice(0, 10);
      expect(summary).toMatchObject({ to: today, days: 30, requests: 2, calls: 2 });
      expect(Date.parse(summary.to) - Date.parse(summary.from)).toBe(29 * 86_400_000);
      expect(summary.by_model).toEqual([
        expect.objectContaining({ provider: t.deps.llm.provider, model: t.deps.llm.chatModel, calls: 2 }),
      ]);
      expect(await usageSummary(t, bob, { days: 1 })).toMatchObject({
        from: today,
        to: today,
        days: 1,
        calls: 1,
      });
    });

    it('is all zeros for a user without usage', async () => {
      expect(await usageSummary(t, 'tools-usage-none-carol', { days: 7 })).toMatchObject({
        days: 7,
        requests: 0,
        calls: 0,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: 0,
        by_model: [],
      });
    });

    it('refuses a period outside 1-366 days', () => {
      expect(usageSummaryTool.input.safeParse({ days: 0 }).success).toBe(false);
      expect(usageSummaryTool.input.safeParse({ days: 367 }).success).toBe(false);
    });
  });
});

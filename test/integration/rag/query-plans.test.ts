import { type SQL, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { rowsOf } from '../../../src/db/rows.ts';
import { hashEmbed } from '../../../src/llm/local/hash-embedder.ts';
import { findActiveVersion } from '../../../src/rag/index-versions/ensure-active-version.ts';
import { createVectorIndex, vectorIndexName } from '../../../src/rag/index-versions/vector-index.ts';
import { vectorLiteral } from '../../../src/rag/ingest/embed.ts';
import {
  documentRanking,
  fulltextRanking,
  hybridRanking,
  type SearchScope,
  vectorRanking,
  withDetails,
  withDocumentDetails,
} from '../../../src/rag/search/search-query.ts';
import { drain, queueText } from '../../helpers/rag.ts';
import { useTestApp } from '../../helpers/test-app.ts';

const ROWS = 20_000;

async function plan(db: Database, query: SQL): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('hnsw.ef_search', '100', true), set_config('hnsw.iterative_scan', 'strict_order', true)`,
    );
    const rows = rowsOf<Record<string, string>>(await tx.execute(sql`explain ${query}`));
    return rows.map((r) => Object.values(r)[0]).join('\n');
  });
}

// The planner's choice depends on table size and statistics, so this runs on real PostgreSQL
// with enough rows that an index is worth it (PGlite would take minutes to build the same).
describe.skipIf(!process.env.TEST_DATABASE_URL)('query plans on PostgreSQL', () => {
  const t = useTestApp('postgres');
  let scope: SearchScope;

  beforeAll(async () => {
    const { document_id } = await queueText(t, 'alice', { title: 'Seed', content: 'A seed document.' });
    await drain(t);
    const version = (await findActiveVersion(t.deps.db))!;
    // Synthetic rows: random unit-ish vectors, spread over several owners, loaded before the index is built.
    await t.deps.db.execute(sql`
      insert into chunks (document_id, index_version_id, owner_id, ordinal, text, token_count, char_start, char_end, embedding, weighted_tsv)
      select ${document_id}, ${version.id}, case when g % 4 = 0 then 'alice' else 'other-' || (g % 4) end, g,
             'synthetic chunk ' || g, 3, 0, 10,
             (select ('[' || string_agg((random() - 0.5)::text, ',') || ']') from generate_series(1, 384) where g > 0)::vector,
             to_tsvector('english', 'synthetic chunk number ' || g || case when g % 50 = 0 then ' vacuum' else '' end)
      from generate_series(1, ${ROWS}) g`);
    await createVectorIndex(t.deps.db, version);
    const watermark = Number(
      rowsOf<{ max: string }>(await t.deps.db.execute(sql`select max(id) as max from chunks`))[0]!.max,
    );
    scope = { versionId: version.id, dimensions: version.dimensions, ownerId: 'alice', watermark };
  }, 120_000);

  it("vector search uses the version's HNSW index", async () => {
    const vector = vectorLiteral(hashEmbed('how do I vacuum a table', 384));
    const text = await plan(t.deps.db, withDetails(vectorRanking(scope, vector, 11)));
    expect(text).toContain(`Index Scan using ${vectorIndexName(scope.versionId)} on chunks`);
  });

  it('the next page (keyset) still uses it', async () => {
    const vector = vectorLiteral(hashEmbed('how do I vacuum a table', 384));
    const text = await plan(t.deps.db, withDetails(vectorRanking(scope, vector, 11, { key: 0.9, id: 100 })));
    expect(text).toContain(`Index Scan using ${vectorIndexName(scope.versionId)} on chunks`);
  });

  const fusion = { candidates: 100, rrfK: 45, vectorWeight: 0.5 };

  it('hybrid search uses both, in one statement', async () => {
    const query = 'how do I vacuum a synthetic chunk';
    const vector = vectorLiteral(hashEmbed(query, 384));
    const text = await plan(t.deps.db, withDetails(hybridRanking(scope, { query, vector }, fusion, 11)));
    expect(text).toContain(`Index Scan using ${vectorIndexName(scope.versionId)} on chunks`);
    expect(text).toContain('Bitmap Index Scan on chunks_weighted_tsv_idx');
  });

  it('full-text search uses the GIN index', async () => {
    const text = await plan(t.deps.db, withDetails(fulltextRanking(scope, 'vacuum synthetic chunk', 11)));
    expect(text).toContain('Bitmap Index Scan on chunks_weighted_tsv_idx');
  });

  it('hybrid search grouped by document uses both', async () => {
    const query = 'vacuum number';
    const vector = vectorLiteral(hashEmbed(query, 384));
    const text = await plan(
      t.deps.db,
      withDocumentDetails(documentRanking(scope, { mode: 'hybrid', query, vector }, fusion, 11)),
    );
    expect(text).toContain(`Index Scan using ${vectorIndexName(scope.versionId)} on chunks`);
    expect(text).toContain('Bitmap Index Scan on chunks_weighted_tsv_idx');
  });
});

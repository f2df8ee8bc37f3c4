import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { indexVersions } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { traced } from '../../observability/tracing.ts';
import type { IndexVersion } from './index-version.ts';

export async function findActiveVersion(db: Database): Promise<IndexVersion | undefined> {
  const [row] = await db.select().from(indexVersions).where(eq(indexVersions.state, 'active'));
  return row;
}

/**
 * The version searches read and uploads write to. The first one is created on demand from
 * the configured embedding model and chunking defaults (concurrent callers agree on one).
 */
export async function ensureActiveVersion(
  deps: Pick<Deps, 'db' | 'llm' | 'config' | 'telemetry'>,
): Promise<IndexVersion> {
  const existing = await traced(deps, 'rag.index_versions.active', () => findActiveVersion(deps.db));
  if (existing) return existing;
  await deps.db
    .insert(indexVersions)
    .values({
      state: 'active',
      embeddingProvider: deps.llm.provider,
      embeddingModel: deps.llm.embeddingModel,
      dimensions: deps.llm.embeddingDimensions,
      chunkSize: deps.config.RAG_CHUNK_SIZE,
      chunkOverlap: deps.config.RAG_CHUNK_OVERLAP,
      activatedAt: sql`now()`,
    })
    .onConflictDoNothing({ target: indexVersions.state, where: sql`state = 'active'` });
  const created = await findActiveVersion(deps.db);
  if (!created) throw new Error('no active index version after creating one');
  return created;
}

/** Versions that take writes: the active one and any being built. */
export async function writableVersions(db: Database): Promise<IndexVersion[]> {
  return db.select().from(indexVersions).where(sql`${indexVersions.state} in ('active', 'building')`);
}

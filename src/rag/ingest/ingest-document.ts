import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { startQuotaMeter } from '../../billing/quotas/quota-meter.ts';
import { documentIngestions, documents, indexVersions } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { inSpan, traced } from '../../observability/tracing.ts';
import { enqueueJobs } from '../../queue/enqueue.ts';
import { type JobContext, PermanentJobError, runOffloaded } from '../../queue/job-handler.ts';
import type { IndexVersion } from '../index-versions/index-version.ts';
import { watchVersionBuild } from '../index-versions/watch-build.ts';
import { JOB_INDEX_VECTORS } from '../job-kinds.ts';
import {
  chunkContext,
  EmbeddingMismatchError,
  embeddingInput,
  embedForVersion,
  headingsBelowTitle,
  vectorLiteral,
} from './embed.ts';
import { prepareDocumentTask } from './prepare-document.ts';
import { type ChunkRow, storeChunks } from './store-chunks.ts';

export const ingestPayload = z.object({ documentId: z.uuid(), indexVersionId: z.number().int().positive() });
export type IngestPayload = z.infer<typeof ingestPayload>;

// The document with the content hash it is ingested with in the version, if any, in one query.
async function loadDocument(deps: Deps, id: string, versionId: number) {
  const [doc] = await traced(deps, 'rag.ingest.load_document', () =>
    deps.db
      .select({
        id: documents.id,
        ownerId: documents.ownerId,
        title: documents.title,
        mimeType: documents.mimeType,
        content: documents.content,
        contentHash: documents.contentHash,
        chunkSize: documents.chunkSize,
        chunkOverlap: documents.chunkOverlap,
        ingestedHash: documentIngestions.contentHash,
      })
      .from(documents)
      .leftJoin(
        documentIngestions,
        and(
          eq(documentIngestions.documentId, documents.id),
          eq(documentIngestions.indexVersionId, versionId),
        ),
      )
      .where(eq(documents.id, id)),
  );
  return doc;
}

// Progress is shown for the active version only: that is the one GET /documents/{id} describes.
async function reportProgress(deps: Deps, documentId: string, contentHash: string, fields: object) {
  await traced(deps, 'rag.ingest.report_progress', () =>
    deps.db
      .update(documents)
      .set({ ...fields, updatedAt: sql`now()` })
      .where(and(eq(documents.id, documentId), eq(documents.contentHash, contentHash))),
  );
}

async function scheduleVectorIndex(deps: Deps, version: IndexVersion) {
  await enqueueJobs(deps, [
    {
      kind: JOB_INDEX_VECTORS,
      payload: { indexVersionId: version.id, firstTriedAt: Date.now() },
      key: `${JOB_INDEX_VECTORS}:${version.id}`,
      delayMs: 1000,
      maxAttempts: deps.config.JOB_MAX_ATTEMPTS,
    },
  ]);
}

/**
 * The ingestion job: load → extract and split (prepareDocument, in a worker thread on Node) →
 * embed in batches → replace the chunks in one transaction → mark ready. Idempotent: content
 * already in the version is skipped, and a document that changed while this ran is chunked
 * again from its new content. A document that makes more than RAG_MAX_CHUNKS_PER_DOCUMENT
 * chunks, or none, fails for good; the job's time budget (job.signal) stops it between steps.
 */
export async function ingestDocument(deps: Deps, payload: IngestPayload, job: JobContext): Promise<void> {
  const [version] = await traced(deps, 'rag.ingest.load_version', () =>
    deps.db.select().from(indexVersions).where(eq(indexVersions.id, payload.indexVersionId)),
  );
  if (!version || version.state === 'retired') return;
  for (;;) {
    const doc = await loadDocument(deps, payload.documentId, version.id);
    if (!doc) return;
    const active = version.state === 'active';
    if (doc.ingestedHash === doc.contentHash) {
      if (active) await reportProgress(deps, doc.id, doc.contentHash, { status: 'ready', error: null });
      return;
    }
    const size = doc.chunkSize ?? version.chunkSize;
    const prepared = await inSpan(deps.telemetry, 'rag.ingest.prepare', {}, () =>
      runOffloaded(job, prepareDocumentTask, {
        content: doc.content,
        mimeType: doc.mimeType,
        size,
        overlap: Math.min(doc.chunkOverlap ?? version.chunkOverlap, size - 1),
        maxChunks: deps.config.RAG_MAX_CHUNKS_PER_DOCUMENT,
      }),
    );
    job.signal?.throwIfAborted();
    if (!prepared.ok) throw new PermanentJobError(prepared.error);
    const pieces = prepared.chunks;
    const rows: ChunkRow[] = [];
    const batchSize = deps.config.RAG_EMBED_BATCH_SIZE;
    // Progress is worth a write only between batches: a document embedded in one batch goes from
    // queued to ready with its chunks (most pages do, and each write is a commit).
    if (active && pieces.length > batchSize) {
      await reportProgress(deps, doc.id, doc.contentHash, {
        status: 'processing',
        chunksTotal: pieces.length,
        chunksEmbedded: 0,
      });
    }
    // Ingestion's embedding tokens count toward the owner's token and cost quotas.
    const meter = startQuotaMeter(deps, doc.ownerId);
    for (let i = 0; i < pieces.length; i += batchSize) {
      job.signal?.throwIfAborted();
      const batch = pieces.slice(i, i + batchSize).map((piece) => ({
        piece,
        context: chunkContext(doc.title, piece.headingPath),
      }));
      const vectors = await inSpan(
        deps.telemetry,
        'rag.ingest.embed_batch',
        { attributes: { 'cairn.batch.index': i / batchSize, 'cairn.batch.size': batch.length } },
        () =>
          embedForVersion(
            deps,
            version,
            batch.map((b) => embeddingInput(b.context, b.piece.text)),
            { requestId: `job:${job.id}`, userId: doc.ownerId, route: 'rag.ingest' },
          ),
      ).catch((error: unknown) => {
        throw error instanceof EmbeddingMismatchError ? new PermanentJobError(error.message) : error;
      });
      batch.forEach(({ piece }, j) => {
        rows.push({
          ordinal: piece.ordinal,
          text: piece.text,
          token_count: piece.tokenCount,
          char_start: piece.start,
          char_end: piece.end,
          heading_path: piece.headingPath,
          headings: headingsBelowTitle(doc.title, piece.headingPath).join(' '),
          embedding: vectorLiteral(vectors[j]!),
        });
      });
      // The last batch's progress is written with the chunks, in storeChunks.
      if (active && rows.length < pieces.length) {
        await reportProgress(deps, doc.id, doc.contentHash, { chunksEmbedded: rows.length });
      }
    }
    await meter.charge();
    job.signal?.throwIfAborted();
    const stored = await traced(deps, 'rag.ingest.store_chunks', () =>
      storeChunks(deps.db, {
        documentId: doc.id,
        ownerId: doc.ownerId,
        title: doc.title,
        contentHash: doc.contentHash,
        versionId: version.id,
        rows,
      }),
    );
    if (stored.status === 'stale') continue;
    if (
      stored.status === 'stored' &&
      stored.versionState === 'active' &&
      !stored.vectorIndexed &&
      stored.versionChunkCount >= deps.config.RAG_HNSW_MIN_CHUNKS
    ) {
      await scheduleVectorIndex(deps, version);
    }
    return;
  }
}

/** Dead-lettered: the document says why (when the job was for the version it is served from). */
export async function markIngestFailed(deps: Deps, payload: IngestPayload, error: string): Promise<void> {
  await deps.db
    .update(documents)
    .set({ status: 'failed', error, updatedAt: sql`now()` })
    .where(
      and(
        eq(documents.id, payload.documentId),
        sql`exists (select 1 from index_versions where id = ${payload.indexVersionId} and state = 'active')`,
      ),
    );
}

/** Re-driven from the dead-letter store: the document is queued again, and a version build resumes its watch. */
export async function requeueIngest(deps: Deps, payload: IngestPayload): Promise<void> {
  await deps.db
    .update(documents)
    .set({ status: 'queued', error: null, updatedAt: sql`now()` })
    .where(
      and(
        eq(documents.id, payload.documentId),
        sql`exists (select 1 from index_versions where id = ${payload.indexVersionId} and state = 'active')`,
      ),
    );
  const [version] = await deps.db
    .select({ state: indexVersions.state })
    .from(indexVersions)
    .where(eq(indexVersions.id, payload.indexVersionId));
  if (version?.state === 'building') await watchVersionBuild(deps, payload.indexVersionId);
}

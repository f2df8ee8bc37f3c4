import { and, eq, sql } from 'drizzle-orm';
import { isUniqueViolation } from '../../db/pg-errors.ts';
import { documents } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { traced } from '../../observability/tracing.ts';
import { jobOrigin } from '../../queue/enqueue.ts';
import { insertJobs } from '../../queue/jobs-store.ts';
import type { ChunkingSettings } from '../chunking/chunk-text.ts';
import { ensureActiveVersion, writableVersions } from '../index-versions/ensure-active-version.ts';
import { JOB_INGEST } from '../job-kinds.ts';
import { contentHash } from './content-hash.ts';
import { type DocumentRecord, documentColumns } from './document-record.ts';
import type { DocumentMimeType } from './extract-content.ts';

export interface NewDocument {
  ownerId: string;
  title: string;
  /** As storedContent returns it: the text, or for HTML the page (the ingestion job extracts it). */
  content: string;
  mimeType: DocumentMimeType;
  source?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  chunking?: ChunkingSettings | undefined;
}

export type CreateDocumentResult =
  | { created: false; document: DocumentRecord }
  | { created: true; document: DocumentRecord; jobId: string };

/**
 * Stores a document and queues its ingestion into the active version (and any version being
 * built). The same content from the same owner returns the existing document with no new job;
 * a new content under an existing `source` replaces that document, whose old chunks keep
 * serving until the new ones are swapped in.
 */
export async function createDocument(deps: Deps, input: NewDocument): Promise<CreateDocumentResult> {
  const hash = await contentHash(input.content);
  const active = await ensureActiveVersion(deps);
  const versions = (await traced(deps, 'rag.index_versions.writable', () => writableVersions(deps.db))).sort(
    (a, b) => (a.id === active.id ? -1 : b.id === active.id ? 1 : 0),
  );
  // A concurrent upload of the same content or source can win the unique index: look again.
  for (let attempt = 0; ; attempt++) {
    try {
      // Taken here, the ingestion jobs' parent is the upload's own span.
      const origin = jobOrigin(deps);
      const result = await traced(deps, 'rag.documents.store', () =>
        store(deps, input, hash, versions, origin),
      );
      if (result.created) await deps.queue.publish(result.jobs);
      return result.created
        ? { created: true, document: result.row, jobId: result.jobs[0]!.id }
        : { created: false, document: result.row };
    } catch (error) {
      if (attempt >= 2 || !isUniqueViolation(error)) throw error;
    }
  }
}

async function store(
  deps: Deps,
  input: NewDocument,
  hash: string,
  versions: { id: number }[],
  origin: ReturnType<typeof jobOrigin>,
) {
  return deps.db.transaction(async (tx) => {
    const [same] = await tx
      .select(documentColumns)
      .from(documents)
      .where(and(eq(documents.ownerId, input.ownerId), eq(documents.contentHash, hash)));
    if (same) return { created: false as const, row: same };
    const fields = {
      title: input.title,
      mimeType: input.mimeType,
      content: input.content,
      contentHash: hash,
      status: 'queued' as const,
      error: null,
      metadata: input.metadata ?? {},
      chunkSize: input.chunking?.size ?? null,
      chunkOverlap: input.chunking?.overlap ?? null,
      chunksTotal: 0,
      chunksEmbedded: 0,
    };
    const [replaced] = input.source
      ? await tx
          .update(documents)
          .set({ ...fields, updatedAt: sql`now()` })
          .where(and(eq(documents.ownerId, input.ownerId), eq(documents.source, input.source)))
          .returning(documentColumns)
      : [];
    const row =
      replaced ??
      (
        await tx
          .insert(documents)
          .values({ ...fields, ownerId: input.ownerId, source: input.source ?? null })
          .returning(documentColumns)
      )[0]!;
    const jobs = await insertJobs(
      tx,
      versions.map((v) => ({
        kind: JOB_INGEST,
        payload: { documentId: row.id, indexVersionId: v.id },
        maxAttempts: deps.config.JOB_MAX_ATTEMPTS,
        ...origin,
      })),
    );
    return { created: true as const, row, jobs };
  });
}

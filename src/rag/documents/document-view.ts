import type { documents } from '../../db/schema.ts';

type DocumentRow = Omit<typeof documents.$inferSelect, 'content'>;

/** A document as the API shows it (no content: that can be megabytes). */
export function documentView(doc: DocumentRow) {
  return {
    id: doc.id,
    title: doc.title,
    source: doc.source,
    mime_type: doc.mimeType,
    content_hash: doc.contentHash,
    status: doc.status,
    error: doc.error,
    metadata: doc.metadata,
    chunking: doc.chunkSize === null ? null : { size: doc.chunkSize, overlap: doc.chunkOverlap ?? 0 },
    chunk_count: doc.chunkCount,
    progress: {
      chunks_total: doc.chunksTotal,
      chunks_embedded: doc.chunksEmbedded,
      ratio: doc.status === 'ready' ? 1 : doc.chunksTotal === 0 ? 0 : doc.chunksEmbedded / doc.chunksTotal,
    },
    created_at: doc.createdAt.toISOString(),
    updated_at: doc.updatedAt.toISOString(),
    ingested_at: doc.ingestedAt?.toISOString() ?? null,
  };
}

export type DocumentView = ReturnType<typeof documentView>;

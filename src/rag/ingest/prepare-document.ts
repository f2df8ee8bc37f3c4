import { loadTokenCounter } from '../../llm/tokens/count-tokens.ts';
import type { OffloadTask } from '../../queue/job-handler.ts';
import { ChunkLimitError, chunkText, type TextChunk } from '../chunking/chunk-text.ts';
import type { DocumentMimeType } from '../documents/extract-content.ts';
import { htmlToText } from '../documents/html-to-text.ts';

export interface PrepareInput {
  /** The document as stored: HTML as uploaded, other types as their text. */
  content: string;
  mimeType: DocumentMimeType;
  size: number;
  overlap: number;
  /** RAG_MAX_CHUNKS_PER_DOCUMENT: a document that would make more fails instead of being cut. */
  maxChunks: number;
}

/** The chunks, or why the document cannot be indexed (plain data: it may cross threads). */
export type PreparedDocument = { ok: true; chunks: TextChunk[] } | { ok: false; error: string };

/**
 * The CPU-heavy part of ingestion, on plain data: HTML reduced to text, then chunked with token
 * counts. Each step is linear in the document, and chunking stops as soon as the document is
 * certain to pass `maxChunks`, so its cost is bounded by DOCUMENT_MAX_BYTES and the cap.
 */
async function prepareDocument(input: PrepareInput): Promise<PreparedDocument> {
  const countTokens = await loadTokenCounter();
  const text = input.mimeType === 'text/html' ? htmlToText(input.content).text : input.content;
  try {
    const chunks = chunkText(text, {
      size: input.size,
      overlap: input.overlap,
      format: input.mimeType === 'text/plain' ? 'plain' : 'markdown',
      countTokens,
      maxChunks: input.maxChunks,
    });
    return chunks.length > 0
      ? { ok: true, chunks }
      : { ok: false, error: 'the document has no text to index' };
  } catch (error) {
    if (!(error instanceof ChunkLimitError)) throw error;
    return {
      ok: false,
      error: `${error.message} (RAG_MAX_CHUNKS_PER_DOCUMENT): split it, or upload it with larger chunks`,
    };
  }
}

/** prepareDocument as an offload task: on Node it runs in a worker thread, which a time-out ends. */
export const prepareDocumentTask: OffloadTask<PrepareInput, PreparedDocument> = {
  name: 'rag.prepare-document',
  run: prepareDocument,
};

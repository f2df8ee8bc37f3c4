import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { safeString } from '../../http/text-safety.ts';
import { capText } from '../../rag/chunking/cap-text.ts';
import { searchChunks } from '../../rag/search/search-chunks.ts';
import { defineTool } from './tool.ts';
import { ToolError } from './tool-error.ts';

const DEFAULT_TOP_K = 5;
// Enough of a chunk to answer from and cite; whole chunks of several results would crowd the context.
const TEXT_MAX_CHARS = 1200;

/** Hybrid search over the caller's documents: the passages a grounded answer cites. */
export const searchDocumentsTool = defineTool({
  name: 'search_documents',
  description:
    "Search the user's documents (full-text and semantic, combined) for passages relevant to a query. Returns the best passages with their chunk_id and document_id for citing.",
  input: z.object({
    query: safeString().min(1).max(1000).describe('What to look for, in natural language or keywords'),
    top_k: z
      .number()
      .int()
      .min(1)
      .max(10)
      .optional()
      .describe(`How many passages to return (default ${DEFAULT_TOP_K})`),
  }),
  output: z.object({
    results: z.array(
      z.object({
        chunk_id: z.number().int(),
        document_id: z.uuid(),
        title: z.string(),
        heading_path: z.array(z.string()),
        text: z.string(),
        score: z.number(),
      }),
    ),
  }),
  timeoutMs: 5000,
  sideEffects: false,
  role: 'user',
  async execute(input, context) {
    const topK = Math.min(input.top_k ?? DEFAULT_TOP_K, context.deps.config.RAG_SEARCH_TOP_K_MAX);
    try {
      const page = await searchChunks(context.deps, {
        ownerId: context.userId,
        query: input.query,
        topK,
        mode: 'hybrid',
        // Passages to cite: chunks, ranked document-aware (as /chat retrieves them).
        groupBy: 'chunk',
        meta: context.meta,
      });
      return {
        results: page.results.map((hit) => ({
          chunk_id: hit.chunkId,
          document_id: hit.documentId,
          title: hit.documentTitle,
          heading_path: hit.headingPath,
          text: capText(hit.text, TEXT_MAX_CHARS),
          score: hit.score,
        })),
      };
    } catch (error) {
      // The service's own errors (search unavailable during a model switch) are safe to show.
      if (error instanceof AppError) throw new ToolError('failed', error.message);
      throw error;
    }
  },
});

import { z } from 'zod';
import { textProblem } from '../http/text-safety.ts';
import { searchModes } from './search/search-query.ts';

// Schema pieces more than one RAG route uses (docs/conventions.md). Plain zod: biome.json keeps
// Hono out of files that are not routes or handlers, and `.meta({ id })` names an OpenAPI
// component just as `.openapi(name)` does.

/**
 * User metadata of a document: flat, small, and filterable with jsonb containment. Keys and
 * string values are text PostgreSQL stores unaltered (no NUL, no lone surrogate).
 */
export const metadataSchema = z
  .record(z.string().min(1).max(100), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
  .superRefine((m, ctx) => {
    for (const [key, value] of Object.entries(m)) {
      const keyProblem = textProblem(key);
      const problem = keyProblem
        ? `key ${keyProblem}`
        : typeof value === 'string'
          ? textProblem(value)
          : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
  });

export const chunkSizeSchema = z.number().int().min(16).max(2048);
/** A document's own overlap is also at most a quarter of its chunk size (checked with the size: 422). */
export const chunkOverlapSchema = z.number().int().min(0).max(1024);

export const searchModeSchema = z.enum(searchModes);

/** Which of the caller's documents a search (or a chat's retrieval) looks at. */
export const searchFiltersSchema = z.object({
  document_ids: z.array(z.uuid()).min(1).max(100).optional(),
  metadata: metadataSchema.optional().meta({ description: 'Documents whose metadata has all these values' }),
});

/** The index version that answered a search or a chat. */
export const indexVersionRefSchema = z
  .object({ id: z.number().int(), embedding_model: z.string(), dimensions: z.number().int() })
  .meta({ id: 'IndexVersionRef' });

export const citationSchema = z
  .object({
    marker: z.number().int().meta({ description: 'The [n] the answer cites' }),
    chunk_id: z.number().int(),
    document_id: z.uuid(),
    document_title: z.string(),
    heading_path: z.array(z.string()),
    score: z.number(),
  })
  .meta({ id: 'Citation' });

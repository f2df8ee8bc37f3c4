import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { documents } from '../../db/schema.ts';
import { documentMimeTypes, documentStatuses } from '../../db/tables/rag.ts';
import { safeString } from '../../http/text-safety.ts';
import { defineTool } from './tool.ts';

const DEFAULT_LIMIT = 10;

/** Describes the caller's documents (never their content): by id, by part of the title, or the newest. */
export const documentInfoTool = defineTool({
  name: 'document_info',
  description:
    "Look up the user's documents: one by document_id, those whose title contains `title` (any case), or else the newest. Returns each one's status, type, size, chunk count, upload time and metadata, and how many documents match in all.",
  input: z.object({
    document_id: z.uuid().optional().describe('One document, by its id'),
    title: safeString().min(1).max(200).optional().describe('Part of the title, any case'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(50)
      .optional()
      .describe(`How many documents to list, newest first (default ${DEFAULT_LIMIT})`),
  }),
  output: z.object({
    documents: z.array(
      z.object({
        id: z.uuid(),
        title: z.string(),
        status: z.enum(documentStatuses),
        content_type: z.enum(documentMimeTypes),
        bytes: z.number().int(),
        chunks: z.number().int(),
        created_at: z.string(),
        metadata: z.record(z.string(), z.unknown()),
      }),
    ),
    total: z.number().int().describe('How many of the documents match, listed or not'),
  }),
  timeoutMs: 5000,
  sideEffects: false,
  role: 'user',
  async execute(input, context) {
    // The count runs over every match before the limit applies; the content is only measured.
    const rows = await context.deps.db
      .select({
        id: documents.id,
        title: documents.title,
        status: documents.status,
        mimeType: documents.mimeType,
        bytes: sql<number>`octet_length(${documents.content})`.mapWith(Number),
        chunks: documents.chunkCount,
        createdAt: documents.createdAt,
        metadata: documents.metadata,
        total: sql<number>`count(*) over ()`.mapWith(Number),
      })
      .from(documents)
      .where(
        and(
          eq(documents.ownerId, context.userId),
          input.document_id === undefined ? undefined : eq(documents.id, input.document_id),
          // strpos, not LIKE: the title is matched as text, with no wildcards to escape.
          input.title === undefined
            ? undefined
            : sql`strpos(lower(${documents.title}), lower(${input.title})) > 0`,
        ),
      )
      .orderBy(desc(documents.createdAt), desc(documents.id))
      .limit(input.limit ?? DEFAULT_LIMIT);
    return {
      documents: rows.map((row) => ({
        id: row.id,
        title: row.title,
        status: row.status,
        content_type: row.mimeType,
        bytes: row.bytes,
        chunks: row.chunks,
        created_at: row.createdAt.toISOString(),
        metadata: row.metadata,
      })),
      total: rows[0]?.total ?? 0,
    };
  },
});

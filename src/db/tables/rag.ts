import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './users.ts';

// Untyped `vector`: index versions differ in dimension, so each version gets its own partial
// HNSW index on `embedding::vector(<dims>)` (created with the version, see vector-index.ts).
const anyVector = customType<{ data: string }>({ dataType: () => 'vector' });
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const indexVersionStates = ['building', 'active', 'retired'] as const;
export type IndexVersionState = (typeof indexVersionStates)[number];

/** One embedding + chunking configuration; exactly one is active and serves searches. */
export const indexVersions = pgTable(
  'index_versions',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    state: text('state', { enum: indexVersionStates }).notNull(),
    embeddingProvider: text('embedding_provider').notNull(),
    embeddingModel: text('embedding_model').notNull(),
    dimensions: integer('dimensions').notNull(),
    chunkSize: integer('chunk_size').notNull(),
    chunkOverlap: integer('chunk_overlap').notNull(),
    // Bumped by every chunk write or delete: search caches key on it.
    generation: bigint('generation', { mode: 'number' }).notNull().default(0),
    chunkCount: integer('chunk_count').notNull().default(0),
    autoActivate: boolean('auto_activate').notNull().default(true),
    vectorIndexedAt: timestamp('vector_indexed_at', { withTimezone: true }),
    ...timestamps,
    activatedAt: timestamp('activated_at', { withTimezone: true }),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
    purgedAt: timestamp('purged_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('index_versions_one_active_idx').on(t.state).where(sql`state = 'active'`)],
);

export const documentStatuses = ['queued', 'processing', 'ready', 'failed'] as const;
export const documentMimeTypes = ['text/plain', 'text/markdown', 'text/html'] as const;
export type DocumentStatus = (typeof documentStatuses)[number];

/** An uploaded document; `content` is as uploaded (HTML as sent), and chunk offsets refer to the text extracted from it. */
export const documents = pgTable(
  'documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id),
    title: text('title').notNull(),
    source: text('source'),
    mimeType: text('mime_type', { enum: documentMimeTypes }).notNull(),
    content: text('content').notNull(),
    contentHash: text('content_hash').notNull(),
    status: text('status', { enum: documentStatuses }).notNull().default('queued'),
    error: text('error'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    chunkSize: integer('chunk_size'),
    chunkOverlap: integer('chunk_overlap'),
    chunkCount: integer('chunk_count').notNull().default(0),
    chunksTotal: integer('chunks_total').notNull().default(0),
    chunksEmbedded: integer('chunks_embedded').notNull().default(0),
    ...timestamps,
    ingestedAt: timestamp('ingested_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('documents_owner_hash_idx').on(t.ownerId, t.contentHash),
    uniqueIndex('documents_owner_source_idx').on(t.ownerId, t.source),
    index('documents_owner_created_idx').on(t.ownerId, t.createdAt.desc(), t.id.desc()),
  ],
);

/** Which content of a document is in which index version: the at-least-once ledger of ingestion. */
export const documentIngestions = pgTable(
  'document_ingestions',
  {
    documentId: uuid('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    indexVersionId: integer('index_version_id')
      .notNull()
      .references(() => indexVersions.id, { onDelete: 'cascade' }),
    contentHash: text('content_hash').notNull(),
    chunkCount: integer('chunk_count').notNull(),
    ingestedAt: timestamp('ingested_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.documentId, t.indexVersionId] }),
    index('document_ingestions_version_idx').on(t.indexVersionId),
  ],
);

/**
 * A chunk of a document in one index version, with its embedding and its weighted full-text
 * vector: the document title (weight A), the chunk's heading path (B) and its text (D).
 */
export const chunks = pgTable(
  'chunks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    documentId: uuid('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    indexVersionId: integer('index_version_id')
      .notNull()
      .references(() => indexVersions.id),
    ownerId: text('owner_id').notNull(),
    ordinal: integer('ordinal').notNull(),
    text: text('text').notNull(),
    tokenCount: integer('token_count').notNull(),
    charStart: integer('char_start').notNull(),
    charEnd: integer('char_end').notNull(),
    headingPath: text('heading_path').array().notNull().default(sql`'{}'::text[]`),
    embedding: anyVector('embedding').notNull(),
    // Stored inline (STORAGE MAIN, set by the migration): ranking reads it for every candidate.
    weightedTsv: tsvector('weighted_tsv').notNull(),
  },
  (t) => [
    index('chunks_document_version_idx').on(t.documentId, t.indexVersionId),
    index('chunks_version_owner_idx').on(t.indexVersionId, t.ownerId),
    // A small pending list: every full-text search reads it whole, and the 4 MB default (488 pages
    // after the 100k-chunk benchmark's load) cost more than the rest of the lookup. Inserting the
    // manual's 8.7k chunks at once took 0.4 s with 4 MB, 0.6 s with 256 kB, 2.4 s without one.
    index('chunks_weighted_tsv_idx').using('gin', t.weightedTsv).with({ gin_pending_list_limit: 256 }),
  ],
);

/** A user's chat thread over their documents. */
export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id),
    title: text('title').notNull(),
    ...timestamps,
  },
  (t) => [index('conversations_owner_updated_idx').on(t.ownerId, t.updatedAt.desc(), t.id.desc())],
);

export const messageRoles = ['user', 'assistant'] as const;

export const messages = pgTable(
  'messages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    role: text('role', { enum: messageRoles }).notNull(),
    content: text('content').notNull(),
    citations: jsonb('citations').$type<unknown[]>().notNull().default([]),
    model: text('model'),
    usage: jsonb('usage').$type<Record<string, number>>(),
    indexVersionId: integer('index_version_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('messages_conversation_idx').on(t.conversationId, t.id)],
);

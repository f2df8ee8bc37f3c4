import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

/**
 * Long-lived credentials for OpenAI clients and scripts (docs/decisions/0011-api-keys.md). Only the
 * SHA-256 of the key is stored; `prefix` is its first characters, shown so a user can tell keys apart.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    // Hex SHA-256 of the whole key: what a presented key is looked up by.
    hash: text('hash').notNull().unique(),
    // Route families the key may call: model, rag, agents, admin (src/auth/api-key-scopes.ts).
    scopes: text('scopes').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    // Written at most once a minute per key and instance, never per request.
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_user_created_idx').on(t.userId, t.createdAt, t.id)],
);

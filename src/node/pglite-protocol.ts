/** What the main thread asks the embedded database's thread (pglite-thread.ts). */
export type PgliteRequest =
  | { type: 'query'; id: number; sql: string; params: unknown[]; rowMode: 'array' | 'object' }
  | { type: 'close'; id: number };

/** Its answer to request `id` (id 0: the database is open, or failed to open). */
export type PgliteReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: Record<string, unknown> };

// The embedded database's settings (written to its postgresql.conf at every start). PGlite is one
// session over files the OS caches anyway, so PostgreSQL's own 128 MB buffer pool mostly
// duplicates that cache: 16 MB took an idle instance's thread from 280 to 160 MB (8 MB with
// wal_buffers = 256kB: 151 MB; WebAssembly's initial 128 MB memory is the floor).
export const PGLITE_SETTINGS = ['shared_buffers = 16MB'];

/** What the main thread asks the embedded database's thread (pglite-thread.ts). */
export type PgliteRequest =
  | { type: 'query'; id: number; sql: string; params: unknown[]; rowMode: 'array' | 'object' }
  | { type: 'close'; id: number };

/** Its answer to request `id` (id 0: the database is open, or failed to open). */
export type PgliteReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: Record<string, unknown> };

import { existsSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { MIGRATIONS_FOLDER } from './database-paths.ts';
import { PGLITE_SETTINGS, type PgliteReply, type PgliteRequest } from './pglite-protocol.ts';
import { createEmbeddedDatabase } from './pglite-template.ts';

// The worker thread that owns the embedded database (see pglite-in-worker.ts): PGlite runs each
// statement synchronously in WebAssembly, so here a long statement (an HNSW build, a large insert)
// blocks only this thread, never the event loop that serves requests. A new folder is created
// here too, so the main thread loads the server's modules meanwhile.

// drizzle's PGlite driver keeps these types as strings (timestamps, intervals, dates and their
// arrays); its parsers are functions, which cannot cross threads, so the same ones are applied here.
const asText = (value: string) => value;
const parsers = Object.fromEntries(
  [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map((t) => [
    t,
    asText,
  ]),
);

const port = parentPort!;
const { dataDir } = workerData as { dataDir: string | undefined };

// Everything PostgreSQL says about an error (code, detail, constraint...), as plain data: a
// structured clone of an Error would drop all but its message.
function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  for (const [key, value] of Object.entries(error)) {
    if (['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return fields;
}

const reply = (message: PgliteReply) => port.postMessage(message);

try {
  if (dataDir && !existsSync(path.join(dataDir, 'PG_VERSION')))
    await createEmbeddedDatabase(dataDir, MIGRATIONS_FOLDER);
  const db = await PGlite.create({ dataDir, extensions: { vector }, postgresqlconf: PGLITE_SETTINGS });
  port.on('message', async (request: PgliteRequest) => {
    if (request.type === 'close') {
      await db.close();
      reply({ id: request.id, ok: true, result: null });
      return;
    }
    try {
      const result = await db.query(request.sql, request.params, { rowMode: request.rowMode, parsers });
      reply({ id: request.id, ok: true, result });
    } catch (error) {
      reply({ id: request.id, ok: false, error: describeError(error) });
    }
  });
  reply({ id: 0, ok: true, result: null });
} catch (error) {
  reply({ id: 0, ok: false, error: describeError(error) });
}

import { Worker } from 'node:worker_threads';
import type { QueryOptions, Results } from '@electric-sql/pglite';
import type { PgliteReply, PgliteRequest } from './pglite-protocol.ts';

/** The part of PGlite's API drizzle's PGlite driver calls (queries and transactions), and close. */
export interface PgliteClient {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  transaction<T>(callback: (tx: PgliteTransaction) => Promise<T>): Promise<T>;
  /**
   * Closes the database and opens it again in a fresh thread. WebAssembly memory never shrinks:
   * after initdb and the first migrations (hundreds of MB at their peak) this gives it back.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

interface PgliteTransaction {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  rollback(): Promise<void>;
  closed: boolean;
}

// PGlite is one session: a statement (or a transaction, BEGIN to COMMIT) runs alone, as in PGlite itself.
function createMutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
}

const toError = (fields: Record<string, unknown>) =>
  Object.assign(new Error(String(fields.message ?? 'database error')), fields);

/**
 * Opens PGlite in a worker thread (pglite-thread.ts) and returns a client for it. PGlite executes
 * every statement synchronously; in this process's own thread an HNSW index build or a large
 * insert would stop every request for its whole duration, there only the database waits.
 */
export async function openPgliteInWorker(dataDir: string | undefined): Promise<PgliteClient> {
  let thread = await startThread(dataDir);
  const run = <T>(sql: string, params: unknown[] = [], options?: QueryOptions) =>
    thread.send({
      type: 'query',
      sql,
      params,
      rowMode: options?.rowMode ?? 'object',
    } as PgliteRequest) as Promise<Results<T>>;

  const exclusive = createMutex();
  return {
    query: (sql, params, options) => exclusive(() => run(sql, params, options)),
    transaction: (callback) =>
      exclusive(async () => {
        await run('BEGIN');
        const tx: PgliteTransaction = {
          closed: false,
          query: (sql, params, options) => {
            if (tx.closed) return Promise.reject(new Error('Transaction is closed'));
            return run(sql, params, options);
          },
          async rollback() {
            await run('ROLLBACK');
            tx.closed = true;
          },
        };
        try {
          const result = await callback(tx);
          if (!tx.closed) await run('COMMIT');
          return result;
        } catch (error) {
          if (!tx.closed) await run('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          tx.closed = true;
        }
      }),
    restart: () =>
      exclusive(async () => {
        await thread.stop();
        thread = await startThread(dataDir);
      }),
    close: () => exclusive(() => thread.stop()),
  };
}

/** One worker thread running PGlite on `dataDir`, once it has opened the database. */
async function startThread(dataDir: string | undefined) {
  const worker = new Worker(new URL('./pglite-thread.ts', import.meta.url), {
    workerData: { dataDir },
    // The thread's JavaScript only relays statements and rows: a small young generation keeps
    // about 25 MB less resident when idle, with no change measured in ingesting the manual.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let stopped: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
  });
  worker.on('message', (message: PgliteReply) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (pending.size === 0) worker.unref();
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(toError(message.error));
  });
  const fail = (error: Error) => {
    stopped ??= error;
    for (const waiter of pending.values()) waiter.reject(stopped);
    pending.clear();
  };
  // Worded as PGlite words it, so callers that recognise an unavailable database (503) do here too.
  worker.on('error', (error) => fail(new Error(`PGlite is closed: its thread failed (${error.message})`)));
  worker.on('exit', (code) => fail(new Error(`PGlite is closed: its thread stopped (exit code ${code})`)));

  const send = (request: Omit<PgliteRequest, 'id'> & { type: PgliteRequest['type'] }) => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise<unknown>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // Referenced only while it owes an answer, so an idle database never keeps the process alive.
      worker.ref();
      worker.postMessage({ ...request, id } as PgliteRequest);
    });
  };
  await ready;
  return {
    send,
    async stop() {
      if (!stopped) await send({ type: 'close' } as PgliteRequest);
      stopped ??= new Error('PGlite is closed');
      await worker.terminate();
    },
  };
}

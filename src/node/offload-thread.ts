import { parentPort } from 'node:worker_threads';
import type { OffloadTask } from '../queue/job-handler.ts';
import { prepareDocumentTask } from '../rag/ingest/prepare-document.ts';
import type { OffloadReply, OffloadRequest } from './offload-pool.ts';

// A worker thread of the offload pool (offload-pool.ts): runs the CPU-heavy steps of jobs by
// name, so the event loop that answers requests never runs them, and a step past its job's time
// budget is ended by terminating this thread.
const tasks = new Map<string, OffloadTask<never, unknown>>([[prepareDocumentTask.name, prepareDocumentTask]]);

const port = parentPort!;
port.on('message', async ({ name, input }: OffloadRequest) => {
  let reply: OffloadReply;
  try {
    const task = tasks.get(name);
    if (!task) throw new Error(`no offload task named "${name}"`);
    reply = { ok: true, value: await task.run(input as never) };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});

import { Worker } from 'node:worker_threads';
import type { Offload, OffloadTask } from '../queue/job-handler.ts';

export interface OffloadRequest {
  name: string;
  input: unknown;
}

export type OffloadReply = { ok: true; value: unknown } | { ok: false; error: string };

/** The offload port on Node: worker threads (offload-thread.ts), and their release at shutdown. */
export interface OffloadPool extends Offload {
  close(): Promise<void>;
}

// A thread that runs out of memory dies alone, with its task, instead of taking the server down.
const THREAD_HEAP_MB = 1024;

/**
 * Runs offload tasks in up to `size` worker threads (one per job the consumer runs at once),
 * kept between tasks. A task whose signal aborts (its job ran out of time) has its thread
 * terminated at once, whatever it was computing, and a fresh one takes its place later.
 */
export function createOffloadPool(options: { size: number }): OffloadPool {
  const idle: Worker[] = [];
  const all = new Set<Worker>();
  const waiting: (() => void)[] = [];
  let closed = false;

  const spawn = () => {
    const worker = new Worker(new URL('./offload-thread.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    all.add(worker);
    worker.once('exit', () => all.delete(worker));
    return worker;
  };
  const acquire = async (): Promise<Worker> => {
    for (;;) {
      if (closed) throw new Error('the offload pool is closed');
      const worker = idle.pop();
      if (worker) return worker;
      if (all.size < options.size) return spawn();
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const release = (worker: Worker, healthy: boolean) => {
    if (healthy && !closed) {
      // An idle thread never keeps the process alive.
      worker.unref();
      idle.push(worker);
    } else {
      all.delete(worker);
      void worker.terminate();
    }
    waiting.shift()?.();
  };

  return {
    async run<I, O>(task: OffloadTask<I, O>, input: I, signal: AbortSignal): Promise<O> {
      signal.throwIfAborted();
      const worker = await acquire();
      worker.ref();
      return new Promise<O>((resolve, reject) => {
        const settle = (healthy: boolean) => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
          signal.removeEventListener('abort', onAbort);
          release(worker, healthy);
        };
        const onMessage = (reply: OffloadReply) => {
          settle(true);
          if (reply.ok) resolve(reply.value as O);
          else reject(new Error(reply.error));
        };
        const onError = (error: Error) => {
          settle(false);
          reject(error);
        };
        const onExit = (code: number) => {
          settle(false);
          reject(new Error(`the offload thread stopped (exit code ${code})`));
        };
        const onAbort = () => {
          settle(false);
          reject(signal.reason);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        signal.addEventListener('abort', onAbort, { once: true });
        if (signal.aborted) return onAbort();
        worker.postMessage({ name: task.name, input } satisfies OffloadRequest);
      });
    },
    async close() {
      closed = true;
      for (const resolve of waiting.splice(0)) resolve();
      await Promise.all([...all].map((worker) => worker.terminate()));
      idle.length = 0;
    },
  };
}

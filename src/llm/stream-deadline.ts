import { LlmError } from './llm-error.ts';

/**
 * When a streamed model call must stop: `timeoutMs` after the attempt that opened it started
 * (the first-token timeout covers opening, this the whole stream), when the caller goes away, or
 * when the consumer stops reading. One controller stops the provider for all of them.
 */
export interface StreamDeadline {
  /**
   * Runs one attempt at opening the stream with the provider's signal (the attempt's own, or the
   * stream's); the clock starts with it and stops if the attempt fails, so a retry gets its own.
   */
  open<T>(attemptSignal: AbortSignal, open: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** The consumer stopped reading: stop the provider. */
  stop(): void;
  /** What an error mid-stream means: the deadline passed, the caller left, or the error itself. */
  explain(error: unknown): unknown;
  /** The stream is over, however it ended: stop the clock. */
  end(): void;
}

/**
 * A signal that aborts when any of `signals` does, with its reason. What `AbortSignal.any` does,
 * without the weak references that let a composite outlive nothing: it took about 12 µs a call
 * on Node, twice per stream, and these composites live only as long as their stream anyway.
 */
function anyOf(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const source of signals) {
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    source.addEventListener('abort', () => controller.abort(source.reason), { once: true });
  }
  return controller.signal;
}

export function streamDeadline(timeoutMs: number, callerSignal?: AbortSignal): StreamDeadline {
  const controller = new AbortController();
  const stream = callerSignal ? anyOf([controller.signal, callerSignal]) : controller.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired = false;

  return {
    async open(attemptSignal, open) {
      clearTimeout(timer);
      const attemptTimer = setTimeout(() => {
        expired = true;
        controller.abort();
      }, timeoutMs);
      timer = attemptTimer;
      try {
        return await open(anyOf([attemptSignal, stream]));
      } catch (error) {
        clearTimeout(attemptTimer);
        throw error;
      }
    },
    stop: () => controller.abort(),
    explain(error) {
      if (expired) return new LlmError('timeout', `The model stream did not finish within ${timeoutMs} ms.`);
      if (callerSignal?.aborted) return new LlmError('aborted', 'The caller abandoned the model stream.');
      return error;
    },
    end: () => clearTimeout(timer),
  };
}

import { AppError } from '../../errors.ts';
import { openAiError } from './openai-error-body.ts';

const encoder = new TextEncoder();
/** One event; `json` is its data, a JSON text (or `[DONE]`). */
const frame = (json: string) => `data: ${json}\n\n`;

// Settles on the event loop's next turn, after what the last network read delivered has been
// handled: events already on hand (one read often carries many) then go out in one write, not
// one write each. Where the runtime has no setImmediate, every event is written as it comes.
const NOT_YET = Symbol('not yet');
const nextTurn =
  typeof setImmediate === 'function'
    ? () => new Promise<typeof NOT_YET>((resolve) => setImmediate(resolve, NOT_YET))
    : undefined;

/**
 * Server-Sent Events in OpenAI's format, pulled from the provider as the client reads (so a slow
 * client slows the upstream instead of filling memory). A failure mid-stream becomes a final
 * `{"error": …}` event, which OpenAI's SDKs raise as an APIError; a client that hangs up cancels
 * the upstream call, which is still billed for what it streamed.
 */
export function sseStream<E>(
  events: AsyncIterator<E>,
  first: IteratorResult<E>,
  encode: (event: E) => string[],
): ReadableStream<Uint8Array> {
  let pending: Promise<IteratorResult<E>> | undefined = Promise.resolve(first);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let text = '';
      try {
        let next = await (pending ?? events.next());
        pending = undefined;
        // One turn for the whole pull: the events already on hand settle before it does.
        const turn = nextTurn?.();
        for (;;) {
          if (next.done) {
            controller.enqueue(encoder.encode(text + frame('[DONE]')));
            controller.close();
            return;
          }
          for (const chunk of encode(next.value)) text += frame(chunk);
          if (!turn) break;
          const following = events.next();
          const ready = await Promise.race([following, turn]);
          if (ready === NOT_YET) {
            pending = following;
            break;
          }
          next = ready;
        }
        controller.enqueue(encoder.encode(text));
      } catch (error) {
        const appError =
          error instanceof AppError
            ? error
            : new AppError({
                status: 500,
                slug: 'internal',
                title: 'Internal error',
                detail: 'The stream failed.',
              });
        controller.enqueue(encoder.encode(text + frame(JSON.stringify(openAiError(appError)))));
        controller.close();
      }
    },
    async cancel() {
      await events.return?.();
    },
  });
}

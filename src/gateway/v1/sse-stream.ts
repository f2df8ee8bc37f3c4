import { AppError } from '../../errors.ts';
import { openAiError } from './openai-error-body.ts';

const encoder = new TextEncoder();
const frame = (data: unknown) =>
  encoder.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);

/**
 * Server-Sent Events in OpenAI's format, pulled from the provider as the client reads (so a slow
 * client slows the upstream instead of filling memory). A failure mid-stream becomes a final
 * `{"error": …}` event, which OpenAI's SDKs raise as an APIError; a client that hangs up cancels
 * the upstream call, which is still billed for what it streamed.
 */
export function sseStream<E>(
  events: AsyncIterator<E>,
  first: IteratorResult<E>,
  encode: (event: E) => object[],
): ReadableStream<Uint8Array> {
  let pending: IteratorResult<E> | undefined = first;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = pending ?? (await events.next());
        pending = undefined;
        if (next.done) {
          controller.enqueue(frame('[DONE]'));
          controller.close();
          return;
        }
        for (const chunk of encode(next.value)) controller.enqueue(frame(chunk));
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
        controller.enqueue(frame(openAiError(appError)));
        controller.close();
      }
    },
    async cancel() {
      await events.return?.();
    },
  });
}

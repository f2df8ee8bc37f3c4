import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ChatRequest, ChatResponse, ChatStreamEvent, FinishReason, TokenUsage } from '../llm-client.ts';
import { LlmError } from '../llm-error.ts';
import { type ChatReply, type ChatTransport, fetchChatTransport } from './chat-transport.ts';
import { fromOpenAiStatus } from './openai-errors.ts';
import { fromOpenAiFinish, fromOpenAiToolCalls, fromOpenAiUsage, toOpenAiParams } from './openai-wire.ts';

/**
 * POST /chat/completions on an OpenAI-compatible server over a chat transport (the runtime's
 * fetch unless the entry gives another): one JSON body out, the reply (or its SSE stream) read as
 * it comes. This is the gateway's hot path, so it skips what the SDK adds per call (header
 * building, its own timeout and abort plumbing, retry bookkeeping cairn does not use): cairn's
 * resilience wrapper owns timeouts and retries.
 */
export interface ChatHttpOptions {
  apiKey?: string;
  /** Ends in /v1 (or the server's equivalent); no trailing slash needed. */
  baseURL: string;
  transport?: ChatTransport;
}

const isAbort = (error: unknown) => error instanceof Error && error.name === 'AbortError';

function requestFailed(error: unknown): LlmError {
  if (isAbort(error)) return new LlmError('aborted', 'The model call was aborted.');
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new LlmError(
    'connection',
    `The model provider could not be reached: ${(error as Error).message ?? String(error)}${cause}`,
  );
}

/** What an error reply says: OpenAI's `{"error": {"message"}}`, else its text (cut short). */
async function errorOf(response: ChatReply): Promise<LlmError> {
  const text = await response.text().catch(() => '');
  let detail = text.slice(0, 500) || response.statusText;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message =
      typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message ?? undefined);
    if (typeof message === 'string') detail = message;
  } catch {
    // Not JSON: the text itself.
  }
  return fromOpenAiStatus(response.status, detail, response.header);
}

const unreadable = (error: unknown) =>
  new LlmError(
    'invalid_response',
    `The model provider sent an unreadable response: ${error instanceof Error ? error.message : String(error)}`,
  );

/** One chunk of a stream; a chunk that is not JSON, or that reports an error, fails the stream. */
function chunkOf(data: string): ChatCompletionChunk {
  let chunk: ChatCompletionChunk & { error?: { message?: string } };
  try {
    chunk = JSON.parse(data);
  } catch (error) {
    throw unreadable(error);
  }
  if (chunk.error) {
    throw new LlmError(
      'upstream_error',
      `The model provider reported an error mid-stream: ${chunk.error.message ?? 'unknown'}`,
    );
  }
  return chunk;
}

const BLANK_LINE = /\r?\n\r?\n/g;
/** The next blank line (the end of an event) in `text` from `from`, if there is one. */
const blankLine = (text: string, from: number) => {
  BLANK_LINE.lastIndex = from;
  return BLANK_LINE.exec(text);
};

// How long a server may take to end its body after [DONE] before its connection is closed instead.
const DRAIN_MS = 1000;

/** Reads the rest of a finished stream (normally nothing but its end), closing it if it lingers. */
async function drain(chunks: AsyncIterator<Uint8Array>, response: ChatReply): Promise<void> {
  const timer = setTimeout(() => response.cancel(), DRAIN_MS);
  try {
    while (!(await chunks.next()).done) {
      // Anything after [DONE] is not part of the answer.
    }
  } catch {
    // Closed by the timer, or broken off: either way the answer was complete.
  } finally {
    clearTimeout(timer);
  }
}

export function createChatHttp(options: ChatHttpOptions) {
  const url = `${options.baseURL.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };
  const streamHeaders = { ...headers, accept: 'text/event-stream' };
  const transport = options.transport ?? fetchChatTransport;

  async function post(body: unknown, signal: AbortSignal | undefined, stream: boolean): Promise<ChatReply> {
    let response: ChatReply;
    try {
      response = await transport.post(url, stream ? streamHeaders : headers, JSON.stringify(body), signal);
    } catch (error) {
      throw requestFailed(error);
    }
    if (response.status < 200 || response.status > 299) throw await errorOf(response);
    return response;
  }

  return {
    async chat(request: ChatRequest, model: string): Promise<ChatResponse> {
      const response = await post(
        { ...toOpenAiParams(request, model), stream: false },
        request.signal,
        false,
      );
      let completion: ChatCompletion;
      try {
        completion = JSON.parse(await response.text()) as ChatCompletion;
      } catch (error) {
        throw isAbort(error) ? requestFailed(error) : unreadable(error);
      }
      const choice = completion?.choices?.[0];
      if (!choice?.message) throw new LlmError('invalid_response', 'The model provider returned no choices.');
      return {
        id: completion.id,
        model: completion.model,
        content: choice.message.content ?? null,
        toolCalls: fromOpenAiToolCalls(choice.message),
        finishReason: fromOpenAiFinish(choice.finish_reason),
        usage: fromOpenAiUsage(completion.usage),
      };
    },

    /**
     * The stream's events as the server sends them (read as the consumer pulls, so a slow client
     * slows the upstream); the final `done` carries the usage of the last chunk (include_usage).
     */
    async *chatStream(request: ChatRequest, model: string): AsyncIterable<ChatStreamEvent> {
      const response = await post(
        { ...toOpenAiParams(request, model), stream: true, stream_options: { include_usage: true } },
        request.signal,
        true,
      );
      const chunks = response.chunks()[Symbol.asyncIterator]();
      const decoder = new TextDecoder();
      let buffered = '';
      let id = '';
      let answeredBy = model;
      let finishReason: FinishReason | undefined;
      let usage: TokenUsage | null = null;
      let finished = false;
      // The text chunks of one read travel as one delta (each piece kept): one step through the
      // layers above instead of one per chunk. Anything else, or the end of the read, sends what
      // is gathered first, so the order holds.
      let pieces: string[] = [];
      const gathered = (): ChatStreamEvent => {
        const event: ChatStreamEvent =
          pieces.length > 1
            ? { type: 'delta', content: pieces.join(''), pieces }
            : { type: 'delta', content: pieces[0] ?? '' };
        pieces = [];
        return event;
      };
      try {
        while (!finished) {
          let read: IteratorResult<Uint8Array>;
          try {
            read = await chunks.next();
          } catch (error) {
            if (isAbort(error)) throw requestFailed(error);
            // A connection dropped mid-body: fetch says "terminated", undici "other side closed".
            throw new LlmError('connection', `The model stream broke off: ${(error as Error).message}`);
          }
          if (read.done) break;
          buffered += decoder.decode(read.value, { stream: true });
          // Events end with a blank line; data lines carry one JSON chunk each (or [DONE]). One
          // read often holds many events: they are cut from where the last one ended, and what
          // is left (an event not yet complete) is kept once all are handled.
          let start = 0;
          for (let end = blankLine(buffered, 0); end; end = blankLine(buffered, start)) {
            const event = buffered.slice(start, end.index);
            start = end.index + end[0].length;
            let data = '';
            if (event.startsWith('data: ') && !event.includes('\n')) data = event.slice(6);
            else {
              for (const line of event.split(/\r?\n/)) {
                if (line.startsWith('data:')) data += line.slice(line[5] === ' ' ? 6 : 5);
              }
            }
            if (!data) continue;
            if (data === '[DONE]') {
              finished = true;
              break;
            }
            let chunk: ChatCompletionChunk;
            try {
              chunk = chunkOf(data);
            } catch (error) {
              // What came before the failure still reaches the client (and is billed).
              if (pieces.length > 0) yield gathered();
              throw error;
            }
            id ||= chunk.id;
            answeredBy = chunk.model || answeredBy;
            if (chunk.usage) usage = fromOpenAiUsage(chunk.usage);
            const choice = chunk.choices?.[0];
            if (!choice) continue;
            if (choice.finish_reason) finishReason = fromOpenAiFinish(choice.finish_reason);
            if (choice.delta?.content) pieces.push(choice.delta.content);
            const calls = choice.delta?.tool_calls ?? [];
            if (calls.length > 0 && pieces.length > 0) yield gathered();
            for (const call of calls) {
              yield {
                type: 'tool_call_delta',
                index: call.index,
                id: call.id,
                name: call.function?.name,
                arguments: call.function?.arguments,
              };
            }
          }
          if (pieces.length > 0) yield gathered();
          buffered = buffered.slice(start);
        }
      } finally {
        // After [DONE] only the end of the body is left: read it so the connection is reused.
        // Otherwise the consumer stopped early, or the body broke or ended: stop the upstream.
        if (finished) void drain(chunks, response);
        else response.cancel();
      }
      // A connection closed mid-answer ends the body quietly: no finish reason tells.
      if (!finishReason)
        throw new LlmError('upstream_error', 'The model stream ended before the answer finished.');
      yield { type: 'done', id, model: answeredBy, finishReason, usage };
    },
  };
}

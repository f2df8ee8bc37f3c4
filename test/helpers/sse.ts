/** One Server-Sent Event as a test reads it: its name and its JSON data. */
export interface SseEvent {
  event: string | undefined;
  data: unknown;
}

/** Splits a whole SSE body into events, parsing each event's (possibly multi-line) data as JSON. */
export function parseSseEvents(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => ({
      event: /^event: (.+)$/m.exec(block)?.[1],
      data: JSON.parse(
        block
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n'),
      ),
    }));
}

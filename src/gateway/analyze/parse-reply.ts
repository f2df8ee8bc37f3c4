import type { FieldError } from '../../errors.ts';

// By hand: /^```(?:json)?\s*([\s\S]*?)\s*```$/ retried its trailing \s* at every character of a
// long run of blanks, quadratic in the reply.
function unfenced(text: string): string {
  if (text.length < 6 || !text.startsWith('```') || !text.endsWith('```')) return text;
  const body = text.slice(3, -3);
  return (body.startsWith('json') ? body.slice(4) : body).trim();
}

/** Parses a model reply as JSON, tolerating a Markdown code fence around it. */
export function parseReply(
  content: string | null,
): { ok: true; value: unknown } | { ok: false; errors: FieldError[] } {
  const text = (content ?? '').trim();
  if (text.length === 0)
    return { ok: false, errors: [{ pointer: '/result', detail: 'the reply was empty' }] };
  const body = unfenced(text);
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    return {
      ok: false,
      errors: [{ pointer: '/result', detail: `the reply is not valid JSON (${(error as Error).message})` }],
    };
  }
}

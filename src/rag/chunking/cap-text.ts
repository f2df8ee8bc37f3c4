/**
 * `text` cut to at most `max` characters: at the last space when that keeps more than half, else
 * at `max`, never between the two halves of a surrogate pair. Shorter text is returned as is.
 */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const space = text.lastIndexOf(' ', max);
  let end = space > max / 2 ? space : max;
  const code = text.charCodeAt(end);
  if (end === max && code >= 0xdc00 && code <= 0xdfff) end--;
  return text.slice(0, end).trimEnd();
}

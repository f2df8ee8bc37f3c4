// Shared text helpers for the offline provider: tokenising words and sentences the same way everywhere.

const wordPattern = /[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu;

// Trims apostrophes by hand: /'+$/ retried at every apostrophe of a long run is quadratic.
function trimApostrophes(word: string): string {
  let start = 0;
  let end = word.length;
  while (start < end && word[start] === "'") start++;
  while (end > start && word[end - 1] === "'") end--;
  return start === 0 && end === word.length ? word : word.slice(start, end);
}

export function words(text: string): string[] {
  return (text.toLowerCase().match(wordPattern) ?? []).map(trimApostrophes);
}

// A list item starts after a newline and blanks other than newlines: looking ahead across newlines
// (\s*) rescanned the same whitespace from every newline in it, quadratic on "\n \n \n ...".
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n{2,}|\n(?=[^\S\n]*[-*#\d])/u)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
}

const stop = new Set(
  'a an and are as at be but by for from has have how i in is it its of on or that the this to was were what when where which who why will with you your do does did can not no'.split(
    ' ',
  ),
);

export function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length > 1 && !stop.has(w));
}

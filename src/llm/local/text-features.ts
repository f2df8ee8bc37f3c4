// Shared text helpers for the offline provider: tokenising words and sentences the same way everywhere.

const wordPattern = /[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu;

export function words(text: string): string[] {
  return (text.toLowerCase().match(wordPattern) ?? []).map((w) => w.replace(/^'+|'+$/g, ''));
}

export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n{2,}|\n(?=\s*[-*#\d])/u)
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

// The text the injection rules read: the same words with the usual disguises taken off, so one
// rule catches `ignore`, `IGNORE`, `ignоre` (Cyrillic о), `1gn0re`, `i g n o r e` and `ig\u200Bnore`.
// It is a matching view only; nothing shows it to anyone.

// Soft hyphen, Mongolian vowel separator, zero-width spaces and joiners, direction marks, word
// joiner and invisible operators, BOM: invisible, so they can split a keyword without showing.
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;

// Cyrillic and Greek letters drawn like Latin ones.
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  α: 'a',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
};

// Digits and signs read as letters.
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};

// A line break escaped inside a JSON string (tool results) still starts a new line for a reader.
const ESCAPED_BREAK = /\\r\\n|\\[nr]/g;

// Letters next to a Latin letter: a look-alike there is a disguise (`ignоre`), while a Cyrillic or
// Greek word keeps its letters for its own rules. One character of context each side, so one pass.
const LOOKALIKE_BESIDE_LATIN = /[\u0370-\u052f](?<=[a-z].)|[\u0370-\u052f](?=[a-z])/g;
// Digits and signs used for letters, next to a letter (`1gn0re`, `pr3v10u5`).
const LEET_BESIDE_LETTER = /[013457@$](?<=[a-z].)|[013457@$](?=[a-z])/g;
// Three or more single Latin or Cyrillic letters, each after one blank or dot (`i g n o r e`,
// `i.g.n.o.r.e`); scripts written without spaces need no joining. A wider gap (two blanks) between
// words spelt that way stays a gap. Each repetition consumes two characters in one way only, and a
// run is matched once from its start: linear. (Explicit ranges, not \p{L}: several times faster.)
const SPACED_LETTERS =
  /(?<![a-z0-9\u00c0-\u024f\u0400-\u04ff])[a-z\u00c0-\u024f\u0400-\u04ff](?:[ .\-_*][a-z\u00c0-\u024f\u0400-\u04ff](?![a-z0-9\u00c0-\u024f\u0400-\u04ff])){2,}/g;
const SPACED_SEPARATOR = /[ .\-_*]/g;

/**
 * The matching view of `text`: NFKC (full-width and styled letters become plain ones), invisible
 * characters removed, JSON-escaped line breaks made real, lower case, look-alike letters and
 * digits folded where they touch Latin letters, letters written one by one joined, runs of blanks
 * collapsed to one space and of line breaks to one.
 */
export function normaliseForMatching(text: string): string {
  return text
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(ESCAPED_BREAK, '\n')
    .toLowerCase()
    .replace(LOOKALIKE_BESIDE_LATIN, (ch) => CONFUSABLES[ch] ?? ch)
    .replace(LEET_BESIDE_LETTER, (ch) => LEET[ch] ?? ch)
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n ]/g, ' ')
    .replace(SPACED_LETTERS, (run) => run.replace(SPACED_SEPARATOR, ''))
    .replace(/ {2,}/g, ' ')
    .replace(/ ?\n[\n ]*/g, '\n')
    .trim();
}

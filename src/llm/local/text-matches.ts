// Things the offline provider lifts out of a text (a number, an email address, a formula), found in
// time linear in the text. A leftmost match of these patterns always starts where a maximal run of
// their first character class starts, so each is tried there only (a sticky regex) instead of at
// every position, which made a 100k-digit or 100k-letter message quadratic. The regexes are
// compiled once (V8 tiers a regex up to native code after its first use); calls are synchronous,
// so their lastIndex is never shared.

function firstAtRunStarts(text: string, runs: RegExp, at: RegExp): string | undefined {
  runs.lastIndex = 0;
  for (let m = runs.exec(text); m; m = runs.exec(text)) {
    at.lastIndex = m.index;
    const found = at.exec(text);
    if (found) return found[0];
  }
  return undefined;
}

// Repeated groups are bounded: V8 keeps a backtrack entry per repetition, and a few million
// overflow its stack (RangeError). An expression keeps its first 100 operations; a domain name
// has at most 127 labels.
const numberRuns = /[\d.]+/g;
const expression = /[\d.]+(?:\s*[-+*/^]\s*[\d.()]+){1,100}/y;
const localPartRuns = /[\w.+-]+/g;
const email = /[\w.+-]+@[\w-]+(?:\.[\w-]+){1,127}/y;

/** The first arithmetic expression ("12 * (3 + 4)"). */
export const firstExpression = (text: string) => firstAtRunStarts(text, numberRuns, expression);

/** The first email address. */
export const firstEmail = (text: string) => firstAtRunStarts(text, localPartRuns, email);

/** The first http(s) URL. */
export const firstUrl = (text: string) => /https?:\/\/[^\s"'<>]+/.exec(text)?.[0];

/** The first number, signed and with decimals. */
export const firstNumber = (text: string) => /-?\d+(?:\.\d+)?/.exec(text)?.[0];

/** Words separated by whitespace. */
export function wordCount(text: string): number {
  const word = /\S+/g;
  let count = 0;
  while (word.exec(text)) count++;
  return count;
}

import { words } from './text-features.ts';

// Very frequent function words: a few hits identify a language reliably in a paragraph.
const profiles: Record<string, string[]> = {
  en: 'the and of to is in that it was for with as on are this be by not have from at but they you'.split(
    ' ',
  ),
  de: 'der die das und ist nicht ein eine zu mit den von sich auf für auch im dem wir ich sie es'.split(' '),
  fr: 'le la les et des est une un du que dans pour pas qui sur au avec ce il nous sont très était mais être cette aussi vous'.split(
    ' ',
  ),
  es: 'el la los las y es un una que en de del por para con no se muy pero su al lo'.split(' '),
  it: 'il lo la gli le e è un una che di del della per con non si sono molto ma al'.split(' '),
  pt: 'o a os as e é um uma que de do da em para com não se muito mas ao na no'.split(' '),
  nl: 'de het een en is van dat niet op te zijn met voor er ook maar bij aan wij ik'.split(' '),
};
const lookup = new Map<string, string[]>();
for (const [language, list] of Object.entries(profiles)) {
  for (const word of list) lookup.set(word, [...(lookup.get(word) ?? []), language]);
}

// Scripts that name their language outright.
const scripts: [RegExp, string][] = [
  [/[\u3040-\u30ff]/u, 'ja'],
  [/[\uac00-\ud7af]/u, 'ko'],
  [/\p{Script=Han}/u, 'zh'],
  [/\p{Script=Cyrillic}/u, 'ru'],
  [/\p{Script=Arabic}/u, 'ar'],
  [/\p{Script=Greek}/u, 'el'],
  [/\p{Script=Hebrew}/u, 'he'],
  [/\p{Script=Devanagari}/u, 'hi'],
  [/\p{Script=Thai}/u, 'th'],
];

/** ISO 639-1 code of the text's language by script and function words; "und" when undetermined. */
export function detectLanguage(text: string): string {
  const sample = text.slice(0, 4000);
  const letters = sample.match(/\p{L}/gu)?.length ?? 0;
  for (const [pattern, language] of scripts) {
    const hits = sample.match(new RegExp(pattern.source, 'gu'))?.length ?? 0;
    if (hits > 0 && hits >= letters * 0.3) return language;
  }
  const scores = new Map<string, number>();
  for (const word of words(sample)) {
    for (const language of lookup.get(word) ?? []) scores.set(language, (scores.get(language) ?? 0) + 1);
  }
  const ranked = [...scores].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best || best[1] < 2) return 'und';
  // A tie between related languages (es/pt, nl/de) stays undetermined rather than guessed.
  return second && second[1] === best[1] ? 'und' : best[0];
}

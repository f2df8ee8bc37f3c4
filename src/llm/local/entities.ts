type EntityType = 'person' | 'organization' | 'location' | 'other';

export interface Entity {
  name: string;
  type: EntityType;
}

const orgWords = new Set(
  `inc inc. corp corp. corporation ltd ltd. llc plc gmbh ag sa company co. bank university college institute
  foundation association group agency ministry council committee party commission federation union
  labs systems technologies airlines motors partners fund school hospital department`.split(/\s+/),
);
const places = new Set(
  `africa america asia europe australia antarctica
  argentina australia austria belgium brazil canada chile china colombia denmark egypt england finland france
  germany greece india indonesia ireland israel italy japan kenya korea mexico netherlands nigeria norway
  pakistan peru poland portugal russia scotland spain sweden switzerland turkey ukraine vietnam wales
  amsterdam athens bangkok barcelona beijing berlin boston brussels cairo chicago delhi dublin geneva hamburg
  istanbul jakarta lagos lisbon london madrid melbourne milan moscow mumbai munich nairobi oslo paris prague
  rome seattle seoul shanghai singapore stockholm sydney tokyo toronto vienna warsaw zurich california texas
  york`.split(/\s+/),
);
const placePhrases = new Set([
  'new york',
  'san francisco',
  'los angeles',
  'hong kong',
  'united states',
  'united kingdom',
  'south africa',
  'new zealand',
  'silicon valley',
]);
const titles = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'president',
  'ceo',
  'senator',
  'minister',
  'judge',
  'sir',
  'chancellor',
  'professor',
]);
const placePrepositions = new Set(['in', 'from', 'near', 'across', 'throughout', 'to']);
const connectors = new Set(['of', 'de', 'van', 'von', 'der', 'la', 'del', '&']);
const notNames = new Set(
  `i the a an this that these those it its we our they their he she his her you your my if when while but and or
  however although because so then there here what which who how why yes no please thanks dear hello hi
  monday tuesday wednesday thursday friday saturday sunday january february march april may june july
  august september october november december ignore return output note system user assistant json
  yesterday today tomorrow recently meanwhile also now later earlier finally first last next every after before
  die das ein eine le les un une el los las il lo una`.split(/\s+/),
);

interface Token {
  text: string;
  sentenceStart: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let sentenceStart = true;
  for (const match of text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’.&-]*|[.!?:;]|\n/gu)) {
    const raw = match[0];
    if (/^[.!?:;\n]$/.test(raw)) {
      sentenceStart = true;
      continue;
    }
    // A trailing period ends the sentence unless it belongs to an abbreviation (Inc., Dr.).
    const word =
      raw.endsWith('.') && !orgWords.has(raw.toLowerCase()) && !titles.has(raw.slice(0, -1).toLowerCase())
        ? raw.slice(0, -1)
        : raw;
    tokens.push({ text: word, sentenceStart });
    sentenceStart = raw !== word;
  }
  return tokens;
}

const capitalised = (word: string) => /^\p{Lu}/u.test(word);
const acronym = (word: string) => /^\p{Lu}{2,6}$/u.test(word);
// Verbs that follow a subject named at the start of a news sentence ("Iberdrola said…").
const subjectVerbs = new Set(
  'said says reported reports announced announces stated added told wrote confirmed launched released opened met won beat acquired plans will'.split(
    ' ',
  ),
);
const internalCapital = (word: string) => /^\p{Lu}.*\p{Lu}/u.test(word) && !acronym(word);

function classify(words: string[], before: string | undefined): EntityType {
  const lower = words.map((w) => w.toLowerCase());
  const phrase = lower.join(' ');
  if (lower.some((w) => orgWords.has(w)) || (words.length === 1 && acronym(words[0]!))) return 'organization';
  if (placePhrases.has(phrase) || lower.every((w) => places.has(w))) return 'location';
  if (before && titles.has(before.replace(/\.$/, '').toLowerCase())) return 'person';
  if (before && placePrepositions.has(before.toLowerCase()) && words.length === 1) return 'location';
  if (words.length >= 2 && words.length <= 3 && !lower.some((w) => connectors.has(w))) return 'person';
  return 'other';
}

/**
 * Capitalised phrases (sentence-initial common words excluded), typed by simple cues. German
 * capitalises every noun, so there a lone word must be a known place, an acronym or an organisation.
 */
export function extractEntities(text: string, options: { language?: string; max?: number } = {}): Entity[] {
  const max = options.max ?? 20;
  const nounsCapitalised = options.language === 'de';
  const tokens = tokenize(text);
  const lowerSeen = new Set(tokens.filter((t) => !capitalised(t.text)).map((t) => t.text));
  const found = new Map<string, Entity>();
  let i = 0;
  while (i < tokens.length && found.size < max) {
    const token = tokens[i]!;
    const word = token.text;
    const lower = word.toLowerCase();
    const isTitle = titles.has(lower.replace(/\.$/, ''));
    if (!capitalised(word) || notNames.has(lower) || isTitle) {
      i++;
      continue;
    }
    const phrase = [word];
    let j = i + 1;
    while (j < tokens.length && !tokens[j]!.sentenceStart) {
      const next = tokens[j]!.text;
      if (capitalised(next) && !notNames.has(next.toLowerCase())) phrase.push(next);
      else if (
        connectors.has(next) &&
        capitalised(tokens[j + 1]?.text ?? '') &&
        !tokens[j + 1]!.sentenceStart
      )
        phrase.push(next);
      else break;
      j++;
    }
    // A lone capitalised word opening a sentence is usually just a sentence opening, unless it
    // looks like a name: mixed case (PostgreSQL), a place, or followed by a reporting verb.
    const looksLikeName =
      acronym(word) ||
      internalCapital(word) ||
      places.has(lower) ||
      subjectVerbs.has(tokens[j]?.text.toLowerCase() ?? '');
    const ordinaryOpener =
      token.sentenceStart &&
      phrase.length === 1 &&
      (lowerSeen.has(lower) || !looksLikeName) &&
      !found.has(word);
    const type = classify(phrase, tokens[i - 1]?.text);
    const commonNoun =
      nounsCapitalised && phrase.length === 1 && type !== 'location' && type !== 'organization';
    const name = phrase.join(' ');
    if (!ordinaryOpener && !commonNoun && !found.has(name)) found.set(name, { name, type });
    i = j;
  }
  return [...found.values()];
}

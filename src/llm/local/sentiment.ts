import { words } from './text-features.ts';

type SentimentLabel = 'positive' | 'neutral' | 'negative';

export interface Sentiment {
  label: SentimentLabel;
  /** How sure the lexicon is, 0.5 (no evidence) to 0.99. */
  confidence: number;
  /** Polarity from -1 (negative) to 1 (positive). */
  score: number;
}

export const positive = new Set(
  `good great excellent amazing awesome wonderful fantastic love loved loves lovely like liked enjoy enjoyed
  happy glad pleased delighted satisfied perfect best better brilliant superb outstanding impressive
  recommend recommended impressed helpful friendly fast quick easy reliable smooth beautiful nice fine solid
  success successful win won wins gain gains growth improved improvement improve benefit benefits
  strong stronger positive exciting excited thrilled thrilling fun favourite favorite pleasant clean comfortable
  efficient stable praise praised celebrate celebrated record profit profits bright optimistic grateful thanks thank
  gut toll super prima schön hervorragend ausgezeichnet zufrieden freude
  bon bonne excellent excellente génial super merci heureux ravie ravi magnifique
  bueno buena excelente genial gracias feliz encantado encantada maravilloso perfecto
  buono buona ottimo ottima grazie felice bello bellissimo`.split(/\s+/),
);

export const negative = new Set(
  `bad terrible awful horrible poor worst worse hate hated hates dislike disliked disappointing disappointed
  disappointment angry annoyed annoying frustrating frustrated sad unhappy broken broke fail failed fails
  failure failures slow difficult hard ugly dirty rude useless waste wasted problem problems issue issues bug bugs
  crash crashed crashes error errors wrong late delay delayed delays loss losses lost decline declined drop dropped
  weak weaker negative risk risks concern concerns concerned worried worry fear feared crisis damage damaged
  expensive overpriced refund complaint complain complained noisy painful pain outage outages down cancelled
  collapse collapsed fraud scam lawsuit layoffs unstable unreliable mediocre boring
  schlecht schrecklich furchtbar enttäuscht enttäuschend langsam kaputt ärgerlich teuer
  mauvais mauvaise terrible horrible déçu déçue lent cassé nul triste cher
  malo mala terrible horrible decepcionado decepcionada lento roto triste caro pésimo
  cattivo cattiva terribile orribile deluso delusa lento rotto triste caro pessimo`.split(/\s+/),
);

const negators = new Set([
  'not',
  'no',
  'never',
  "n't",
  'without',
  'hardly',
  'nicht',
  'kein',
  'keine',
  'pas',
  'jamais',
  'nunca',
  'non',
]);
const intensifiers = new Set([
  'very',
  'really',
  'extremely',
  'so',
  'incredibly',
  'absolutely',
  'totally',
  'sehr',
  'très',
  'muy',
  'molto',
]);

const splitContractions = (text: string) => text.replace(/n['’]t\b/gi, " n't");

/** Lexicon sentiment with negation ("not good") and intensifiers ("very bad"). */
export function scoreSentiment(text: string): Sentiment {
  const tokens = words(splitContractions(text));
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const polarity = positive.has(token) ? 1 : negative.has(token) ? -1 : 0;
    if (polarity === 0) continue;
    const window = tokens.slice(Math.max(0, i - 3), i);
    const negated = window.some((w) => negators.has(w));
    const weight = intensifiers.has(tokens[i - 1] ?? '') ? 1.5 : 1;
    if (polarity > 0 !== negated) pos += weight;
    else neg += weight;
  }
  const total = pos + neg;
  if (total === 0) return { label: 'neutral', confidence: 0.5, score: 0 };
  const score = (pos - neg) / total;
  const evidence = Math.min(1, total / 4);
  if (Math.abs(score) < 0.25) {
    return {
      label: 'neutral',
      confidence: round(0.5 + 0.3 * evidence * (1 - Math.abs(score) * 4)),
      score: round(score),
    };
  }
  const confidence = Math.min(0.99, 0.5 + 0.49 * evidence * Math.abs(score));
  return { label: score > 0 ? 'positive' : 'negative', confidence: round(confidence), score: round(score) };
}

const round = (n: number) => Math.round(n * 100) / 100;

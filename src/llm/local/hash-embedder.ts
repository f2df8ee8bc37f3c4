import { words } from './text-features.ts';

// FNV-1a: fast, dependency-free and stable across runtimes, which is all feature hashing needs.
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function features(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (feature: string, weight: number) => out.set(feature, (out.get(feature) ?? 0) + weight);
  const tokens = words(text);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    add(`w:${token}`, 1);
    if (i > 0) add(`b:${tokens[i - 1]} ${token}`, 0.7);
    // Character trigrams make morphological variants (index/indexes) land near each other.
    const padded = ` ${token} `;
    for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.3);
  }
  return out;
}

/**
 * Feature-hashed bag of words, word bigrams and character trigrams, signed and
 * L2-normalised: deterministic, offline, and texts sharing vocabulary score higher.
 */
export function hashEmbed(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, count] of features(text)) {
    const h = fnv1a(feature);
    const sign = h & 0x80000000 ? -1 : 1;
    // Sub-linear term frequency so one repeated word cannot dominate.
    vector[h % dimensions]! += sign * Math.log1p(count);
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((v) => v / norm);
}

import type { Deps } from '../../deps.ts';
import type { CallMeta } from '../../llm/llm-client.ts';
import type { IndexVersion } from '../index-versions/index-version.ts';

/** The configured provider cannot produce this version's vectors (wrong provider, model or size). */
export class EmbeddingMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddingMismatchError';
  }
}

type EmbeddingVersion = Pick<IndexVersion, 'id' | 'embeddingProvider' | 'embeddingModel' | 'dimensions'>;

/** Embeds texts with the version's model through deps.llm (so the call is accounted) and checks the size. */
export async function embedForVersion(
  deps: Pick<Deps, 'llm'>,
  version: EmbeddingVersion,
  texts: string[],
  meta: CallMeta,
): Promise<number[][]> {
  if (version.embeddingProvider !== deps.llm.provider) {
    throw new EmbeddingMismatchError(
      `index version ${version.id} was built with the "${version.embeddingProvider}" provider, but "${deps.llm.provider}" is configured`,
    );
  }
  const { vectors } = await deps.llm.embed({ model: version.embeddingModel, texts, meta });
  if (vectors.length !== texts.length) {
    throw new Error(`the embedding provider returned ${vectors.length} vectors for ${texts.length} texts`);
  }
  for (const vector of vectors) {
    if (vector.length !== version.dimensions) {
      throw new EmbeddingMismatchError(
        `model "${version.embeddingModel}" returned ${vector.length} dimensions; index version ${version.id} stores ${version.dimensions}`,
      );
    }
  }
  return vectors;
}

/** A chunk's headings below the document title (the first heading often repeats it). */
export const headingsBelowTitle = (title: string, headingPath: string[]) =>
  headingPath[0] === title ? headingPath.slice(1) : headingPath;

/** What a chunk is embedded as: its place in the document, then its text. */
export const chunkContext = (title: string, headingPath: string[]): string =>
  [title, ...headingsBelowTitle(title, headingPath)].join(' > ');

export const embeddingInput = (context: string, text: string) => `${context}\n\n${text}`;

// Nine significant digits name every float4 exactly (pgvector stores float4), and parse in about
// half the time of a double's seventeen: text parsing is a large part of storing chunks.
const float4Text = (x: number) => (x === 0 ? '0' : x.toPrecision(9));

/** pgvector's text form; the column is untyped, so the insert casts it. */
export const vectorLiteral = (vector: number[]) => `[${vector.map(float4Text).join(',')}]`;

import { and, eq } from 'drizzle-orm';
import { documents } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { notFound } from '../../errors.ts';
import { type DocumentRecord, documentColumns } from './document-record.ts';

/** One of the caller's documents; another owner's is indistinguishable from a missing one. */
export async function getDocument(
  deps: Pick<Deps, 'db'>,
  input: { ownerId: string; id: string },
): Promise<DocumentRecord> {
  const [row] = await deps.db
    .select(documentColumns)
    .from(documents)
    .where(and(eq(documents.id, input.id), eq(documents.ownerId, input.ownerId)));
  if (!row) throw notFound(`Document ${input.id} does not exist.`);
  return row;
}

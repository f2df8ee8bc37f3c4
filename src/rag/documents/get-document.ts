import { and, eq } from 'drizzle-orm';
import { documents } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { notFound } from '../../errors.ts';
import { documentColumns } from './document-columns.ts';
import { type DocumentView, documentView } from './document-view.ts';

/** One of the caller's documents; another owner's is indistinguishable from a missing one. */
export async function getDocument(
  deps: Pick<Deps, 'db'>,
  input: { ownerId: string; id: string },
): Promise<DocumentView> {
  const [row] = await deps.db
    .select(documentColumns)
    .from(documents)
    .where(and(eq(documents.id, input.id), eq(documents.ownerId, input.ownerId)));
  if (!row) throw notFound(`Document ${input.id} does not exist.`);
  return documentView(row);
}

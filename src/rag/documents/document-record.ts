import { getTableColumns } from 'drizzle-orm';
import { documents } from '../../db/schema.ts';

const { content: _content, ...withoutContent } = getTableColumns(documents);

/** Every documents column but the (possibly large) content, for reads that only describe documents. */
export const documentColumns = withoutContent;

/** A document as services return it: everything but its content, which can be megabytes. */
export type DocumentRecord = Omit<typeof documents.$inferSelect, 'content'>;

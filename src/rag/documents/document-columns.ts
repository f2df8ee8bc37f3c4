import { getTableColumns } from 'drizzle-orm';
import { documents } from '../../db/schema.ts';

const { content: _content, ...withoutContent } = getTableColumns(documents);

/** Every documents column but the (possibly large) content, for reads that only describe documents. */
export const documentColumns = withoutContent;

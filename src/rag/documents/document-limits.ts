/** Longest document title, in characters: given ones beyond it are refused, derived ones cut. */
export const TITLE_MAX_CHARS = 500;

/** Longest `source` (an upload's own name for the document, or its file name), in characters. */
export const SOURCE_MAX_CHARS = 1000;

/**
 * Longest `source` in UTF-8 bytes. It is indexed with the owner id, and a btree entry holds at
 * most 2704 bytes: 1000 characters of most scripts would not fit (a 6000-character file name was
 * a 500), 1500 bytes do beside the longest owner id (255 characters, up to 1020 bytes).
 */
export const SOURCE_MAX_BYTES = 1500;

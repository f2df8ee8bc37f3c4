import { encodeCursor } from '../../src/http/pagination.ts';

const ID = '7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11';
const TIME = '2024-05-01T12:00:00.000000';

/** A list cursor this API could have issued (for a page after a row that need not exist). */
export const ISSUABLE_LIST_CURSOR = encodeCursor({ t: TIME, i: ID });

/**
 * List cursors a client can craft and this API never issued: every list must answer each with
 * 400 at /query/cursor, before it reaches SQL (as a bad cast, or a value it should not see).
 */
export const CRAFTED_LIST_CURSORS: Record<string, string> = {
  'an infinite timestamp': encodeCursor({ t: 'infinity', i: ID }),
  'a negative infinite timestamp': encodeCursor({ t: '-infinity', i: ID }),
  'a special timestamp word': encodeCursor({ t: 'epoch', i: ID }),
  'year 0': encodeCursor({ t: '0000-01-01T00:00:00.000000', i: ID }),
  'before 1970': encodeCursor({ t: '1969-12-31T23:59:59.999999', i: ID }),
  'a year beyond PostgreSQL': encodeCursor({ t: '294277-01-01T00:00:00.000000', i: ID }),
  'a date that does not exist': encodeCursor({ t: '2024-02-30T00:00:00.000000', i: ID }),
  'a month that does not exist': encodeCursor({ t: '2024-13-01T00:00:00.000000', i: ID }),
  'an hour that does not exist': encodeCursor({ t: '2024-05-01T24:00:00.000000', i: ID }),
  'a timestamp without microseconds': encodeCursor({ t: '2024-05-01T12:00:00', i: ID }),
  'a timestamp with a NUL': encodeCursor({ t: `${TIME}\u0000`, i: ID }),
  'a number for the timestamp': encodeCursor({ t: 1e308, i: ID }),
  'a list for the timestamp': encodeCursor({ t: [TIME], i: ID }),
  'an id that is not a uuid': encodeCursor({ t: TIME, i: 'not-a-uuid' }),
  'an id with SQL after it': encodeCursor({ t: TIME, i: `${ID}' or 1=1 --` }),
  'a number for the id': encodeCursor({ t: TIME, i: 42 }),
  'a missing id': encodeCursor({ t: TIME }),
  'an extra field': encodeCursor({ t: TIME, i: ID, limit: 1 }),
  'JSON that is not an object': encodeCursor([TIME, ID]),
  'JSON null': Buffer.from('null').toString('base64url'),
  'bytes that are not UTF-8': Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url'),
  'base64url that is not JSON': Buffer.from('{"t":').toString('base64url'),
  'text that is not base64url': 'eyJ0Ijoi+/==',
  'a percent-encoded euro sign': '%E2%82%AC',
};

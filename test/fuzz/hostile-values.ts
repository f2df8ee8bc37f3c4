import fc from 'fast-check';

/** JSON text placed verbatim in a body: number literals JSON.stringify cannot write (1e309, -0, 400 digits). */
class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** JSON.stringify, except that RawJson is written as is; lone surrogates come out as `\udXXX` escapes. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Strings that have broken parsers, SQL, or text handling somewhere. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '\ufeff',
    '\u202e',
    '\u{1f600}',
    'e\u0301',
    "' or 1=1 --",
    '%00',
    '%',
    '../../etc/passwd',
    '{"a":1}',
    '__proto__',
    'constructor',
    'null',
    'NaN',
    '-0',
    '1e309',
    'infinity',
    '<script>alert(1)</script>',
    '\r\n\r\n',
    'ǅ',
  ),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc
    .tuple(
      fc.constantFrom('a', '\u00e9', '\u{1f600}', ' ', '\u0000'),
      fc.integer({ min: 1_000, max: 300_000 }),
    )
    .map(([unit, count]) => unit.repeat(count)),
);

/** Numbers at the edges of what JSON, JavaScript, int4 and PostgreSQL hold. */
const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1,
    0.5,
    2 ** 31,
    2 ** 31 - 1,
    -(2 ** 31) - 1,
    2 ** 53,
    Number.MAX_SAFE_INTEGER + 2,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MAX_VALUE,
    new RawJson('-0'),
    new RawJson('1e309'),
    new RawJson('-1e309'),
    new RawJson('1e-400'),
    new RawJson(`1${'0'.repeat(400)}`),
    new RawJson(`0.${'1'.repeat(400)}`),
    new RawJson('1E2'),
  ),
  fc.double(),
  fc.integer(),
);

/** Arrays or objects nested far deeper than any schema goes, as raw JSON text (up to ~1 MB). */
const deepNesting: fc.Arbitrary<RawJson> = fc
  .tuple(fc.constantFrom(['[', ']'], ['{"a":', '}']), fc.integer({ min: 100, max: 100_000 }))
  .map(([[open, close], depth]) => new RawJson(`${open.repeat(depth)}1${close.repeat(depth)}`));

/** Any value of the wrong kind for wherever it lands. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  deepNesting,
  fc.constantFrom(null, true, false, [], {}, [null], { '': null }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.constant('x'), { minLength: 1_001, maxLength: 5_000 }),
);

type Path = (string | number)[];

/** Every path to a value inside `value` (the root is `[]`). */
function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (out.length > 200) return out;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) pathsOf(item, [...path, i], out);
  } else if (typeof value === 'object' && value !== null && !(value instanceof RawJson)) {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...path, key], out);
  }
  return out;
}

/** A copy of `value` with the value at `path` replaced by `edit(old)`; `undefined` removes it. */
function editAt(value: unknown, path: Path, edit: (old: unknown) => unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return edit(value);
  if (Array.isArray(value)) {
    const copy = [...value];
    const next = editAt(copy[head as number], rest, edit);
    if (next === undefined && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  const next = editAt(copy[head], rest, edit);
  if (next === undefined && rest.length === 0) delete copy[head];
  else copy[head] = next;
  return copy;
}

type Mutation = (old: unknown, replacement: unknown, key: string) => unknown;

const mutations: Mutation[] = [
  // A value of the wrong type or at an edge.
  (_old, replacement) => replacement,
  // A required field missing.
  () => undefined,
  // An extra field, possibly with a prototype-polluting name.
  (old, replacement, key) =>
    typeof old === 'object' && old !== null && !Array.isArray(old)
      ? { ...old, [key]: replacement }
      : replacement,
  // An array of the right items, too many of them (at most ~2 MB of them, past any body limit).
  (old) => {
    if (!Array.isArray(old) || old.length === 0) return [old];
    const count = Math.min(2_000, Math.ceil(2_000_000 / (toJsonText(old[0]).length + 1)));
    return Array.from({ length: count }, () => old[0]);
  },
  // A string of the right kind, far too long.
  (old) => (typeof old === 'string' ? old.padEnd(200_000, old || 'x') : old),
];

/** `value` corrupted at up to three places (or left valid), each by one mutation above. */
export function mutated(value: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(value);
  const edit = fc.tuple(
    fc.constantFrom(...paths),
    fc.constantFrom(...mutations),
    hostileValue,
    fc.constantFrom('extra', '__proto__', 'constructor', '', '\u0000', 'k'.repeat(10_000)),
  );
  return fc
    .array(edit, { maxLength: 3 })
    .map((edits) =>
      edits.reduce<unknown>(
        (current, [path, mutation, replacement, key]) =>
          editAt(current, path, (old) => mutation(old, replacement, key)),
        value,
      ),
    );
}

import { RE2JS } from 're2js';

// Caller patterns (JSON Schema `pattern`, `patternProperties`) run on RE2 (re2js: linear time, pure
// JS, so also on Workers), never on the backtracking RegExp engine: docs/decisions/0006.

/** Longest pattern accepted, in characters. */
const MAX_PATTERN_CHARS = 200;
/** Largest compiled pattern (RE2 instructions): matching costs up to this much per character. */
const MAX_PROGRAM_SIZE = 1000;
/** Instructions of all the patterns of one schema together: compiling costs ~10 µs each. */
export const MAX_SCHEMA_PROGRAM_SIZE = 4000;

/**
 * A pattern in ECMA-262 syntax, as JSON Schema writes it, in RE2 syntax: the only spelling RE2
 * lacks that schemas use is the `\uXXXX` / `\u{X}` escape. Everything else passes as written, so
 * what RE2 does not support (look-around, back-references) fails to compile and is refused
 * rather than quietly matching something else.
 */
function toRe2Syntax(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char !== '\\' || i + 1 >= pattern.length) {
      out += char;
      continue;
    }
    const next = pattern[i + 1]!;
    const four = pattern.slice(i + 2, i + 6);
    const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(pattern.slice(i + 2, i + 10));
    if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(four)) {
      out += `\\x{${four}}`;
      i += 5;
    } else if (next === 'u' && braced) {
      out += `\\x{${braced[1]}}`;
      i += 1 + braced[0].length;
    } else {
      out += char + next;
      i++;
    }
  }
  return out;
}

export type CompiledPattern =
  | { ok: true; regex: RE2JS; programSize: number }
  | { ok: false; problem: string };

// Compiled patterns by source: the schema check and the validator of one request compile each
// once, and callers reuse the same few patterns. Bounded; the oldest entry goes first.
const cache = new Map<string, CompiledPattern>();
const CACHE_ENTRIES = 500;

/** A caller pattern compiled for RE2, or why it cannot be used. */
export function compilePattern(pattern: string): CompiledPattern {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const compiled = compile(pattern);
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(pattern, compiled);
  return compiled;
}

function compile(pattern: string): CompiledPattern {
  if (pattern.length > MAX_PATTERN_CHARS) {
    return { ok: false, problem: `must be at most ${MAX_PATTERN_CHARS} characters` };
  }
  // RE2 would run these in linear time; they stay refused, as before RE2, because clients often
  // validate the same schema with a backtracking engine.
  if (/\([^)]*[+*}][^)]*\)\s*[+*{]/.test(pattern)) {
    return { ok: false, problem: 'must not repeat a group that itself repeats' };
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(toRe2Syntax(pattern));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problem: `is not a regular expression cairn can run in linear time (RE2 syntax: no look-around or back-references): ${reason}`,
    };
  }
  const programSize = regex.programSize();
  if (programSize > MAX_PROGRAM_SIZE) {
    return {
      ok: false,
      problem: `is too complex (${programSize} RE2 instructions, at most ${MAX_PROGRAM_SIZE}): use smaller repetition counts`,
    };
  }
  return { ok: true, regex, programSize };
}

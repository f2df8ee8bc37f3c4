// Secret-like strings in text a tool returned, before it reaches a model, a stored trace, an audit
// row or an answer. Each pattern starts only where a token starts (the lookbehind), its repeated
// classes never overlap what follows them, and every match consumes its text: one pass over the
// text per pattern, linear in its length. Repeats are capped above any real credential's length,
// so the regex engine's backtracking state stays small however long a run of token characters is.
// The prefixes are the issuers' published ones.

const START = '(?<![A-Za-z0-9_-])';

const PATTERNS: readonly { kind: string; pattern: RegExp; keep?: boolean }[] = [
  {
    kind: 'private_key',
    // The body stops at the first "-" (the END line); a key cut short is redacted to its end.
    pattern:
      /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----[A-Za-z0-9+/=\s\\]{0,16384}(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----)?/g,
  },
  {
    kind: 'jwt',
    pattern: new RegExp(
      `${START}eyJ[A-Za-z0-9_-]{4,1024}\\.eyJ[A-Za-z0-9_-]{4,8192}\\.[A-Za-z0-9_-]{0,1024}`,
      'g',
    ),
  },
  {
    kind: 'github_token',
    pattern: new RegExp(`${START}(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_\\w{22,255})`, 'g'),
  },
  { kind: 'slack_token', pattern: new RegExp(`${START}xox[abposr]-[A-Za-z0-9-]{10,255}`, 'g') },
  {
    kind: 'stripe_key',
    pattern: new RegExp(
      `${START}(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,255}|whsec_[A-Za-z0-9+/=]{16,255})`,
      'g',
    ),
  },
  { kind: 'aws_access_key', pattern: new RegExp(`${START}(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])`, 'g') },
  { kind: 'google_api_key', pattern: new RegExp(`${START}AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])`, 'g') },
  { kind: 'openai_key', pattern: new RegExp(`${START}sk-[A-Za-z0-9_-]{20,255}`, 'g') },
  // The scheme (the first group) stays, so the text still reads as an authorization header.
  { kind: 'bearer_token', pattern: /\b(Bearer[ \t]+)[A-Za-z0-9._~+/=-]{16,8192}/gi, keep: true },
];

export interface SecretScan {
  text: string;
  /** The kinds found, each once, in pattern order; empty when the text is unchanged. */
  kinds: string[];
}

/** The text with every secret-like string replaced by `[redacted:<kind>]`. */
export function redactSecrets(text: string): SecretScan {
  let out = text;
  const kinds: string[] = [];
  for (const { kind, pattern, keep } of PATTERNS) {
    const replaced = out.replace(pattern, `${keep ? '$1' : ''}[redacted:${kind}]`);
    if (replaced !== out) kinds.push(kind);
    out = replaced;
  }
  return { text: out, kinds };
}

const MAX_DEPTH = 32;

/**
 * A JSON value with every string (object keys kept) redacted, and the kinds found. Values are
 * copied only where something changed, so a clean result is returned as it was.
 */
export function redactSecretsIn<T>(value: T): { value: T; kinds: string[] } {
  const kinds = new Set<string>();
  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') {
      const scan = redactSecrets(node);
      for (const kind of scan.kinds) kinds.add(kind);
      return scan.text;
    }
    if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) {
      const items = node.map((item) => walk(item, depth + 1));
      return items.some((item, i) => item !== node[i]) ? items : node;
    }
    const entries = Object.entries(node).map(([key, inner]): [string, unknown] => [
      key,
      walk(inner, depth + 1),
    ]);
    const record = node as Record<string, unknown>;
    return entries.some(([key, inner]) => inner !== record[key]) ? Object.fromEntries(entries) : node;
  };
  const redacted = walk(value, 0) as T;
  return { value: redacted, kinds: [...kinds] };
}

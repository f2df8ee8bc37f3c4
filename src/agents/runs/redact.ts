import { redactSecrets } from '../../security/secret-scan.ts';

// Names whose values are secrets wherever they appear (keys, URL query parameters), matched on the
// name's last word so `access_token`, `apiKey` and `X-Api-Key` are caught and `max_tokens` or
// `author` are not.
const SECRET_WORD =
  /(^|_)(password|passwd|pass|secret|token|apikey|key|auth|authorization|cookie|credential|credentials|signature|sig|session)$/;
const isSecretName = (name: string) =>
  SECRET_WORD.test(
    name
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/-/g, '_')
      .toLowerCase(),
  );
const REDACTED = '[redacted]';
const MAX_DEPTH = 16;

function redactUrl(text: string): string {
  if (!/^https?:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (isSecretName(name)) {
      url.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  return changed ? url.toString() : text;
}

/**
 * A copy of tool arguments fit for the audit log and the stored trace: values under secret-like
 * names, credentials in URLs, secret query parameters and secret-like strings (keys, tokens) are
 * replaced, so a key the model was given (or made up) never lands in the database.
 */
export function redactArguments(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return REDACTED;
  if (typeof value === 'string') return redactSecrets(redactUrl(value)).text;
  if (Array.isArray(value)) return value.map((item) => redactArguments(item, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        isSecretName(key) ? REDACTED : redactArguments(inner, depth + 1),
      ]),
    );
  }
  return value;
}

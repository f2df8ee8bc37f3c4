/** What an API key may be limited to: families of routes, each a set of path prefixes below. */
export const apiKeyScopes = ['model', 'rag', 'agents', 'admin'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/** A key without explicit scopes gets these: everything but admin. */
export const defaultApiKeyScopes: ApiKeyScope[] = ['model', 'rag', 'agents'];

// Path prefixes of each scope. A route no entry covers is refused to keys (fail closed): a new
// capability must say here which scope reaches it.
const scopePrefixes: [ApiKeyScope, string[]][] = [
  ['admin', ['/admin/', '/metrics']],
  ['model', ['/v1/', '/analyze']],
  ['rag', ['/documents', '/search', '/chat', '/conversations']],
  ['agents', ['/agent/', '/mcp']],
];

// Read-only views of the caller that any key may use, whatever its scopes.
const anyKeyRoutes = new Set(['GET /me', 'GET /usage']);

const under = (path: string, prefix: string) =>
  prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix || path.startsWith(`${prefix}/`);

/**
 * The scope a key needs for a request: a scope, `null` when any key may call it, or `'refused'`
 * for routes only a JWT reaches (managing keys, exporting or erasing the account): a leaked key
 * must not mint more keys or erase its owner's data. Routes that need the admin role need `admin`.
 */
export function requiredScope(
  method: string,
  path: string,
  role: 'admin' | undefined,
): ApiKeyScope | null | 'refused' {
  if (role === 'admin') return 'admin';
  if (anyKeyRoutes.has(`${method.toUpperCase()} ${path}`)) return null;
  for (const [scope, prefixes] of scopePrefixes) {
    if (prefixes.some((prefix) => under(path, prefix))) return scope;
  }
  return 'refused';
}

/** An error and the errors under it, outermost first: drizzle wraps the driver's as `cause`. */
function* errorChain(error: unknown): Generator<object> {
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < 16; seen++) {
    const e = pending.shift();
    if (!e || typeof e !== 'object') continue;
    yield e;
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    if (cause !== undefined) pending.push(cause);
    // Node's AggregateError (a host with several addresses, all refused).
    if (Array.isArray(errors)) pending.push(...errors.slice(0, 4));
  }
}

const codeOf = (e: object) => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};

/** The SQLSTATE of a database error, from postgres.js, PGlite, or drizzle's wrapper around either. */
function sqlState(error: unknown): string | undefined {
  for (const e of errorChain(error)) {
    const code = codeOf(e);
    if (code && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';
export const isForeignKeyViolation = (error: unknown) => sqlState(error) === '23503';

// Socket errors (Node, workerd) and postgres.js's own connection codes.
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

// SQLSTATEs of a server that cannot take the query now: class 08 (connection exception), too many
// connections, and a server shutting down or starting up.
const unavailableStates = /^(08...|53300|57P01|57P02|57P03)$/;

// A statement cancelled for running too long (statement_timeout, DB_STATEMENT_TIMEOUT_MS) or for
// waiting too long on a lock (lock_timeout): the server is too busy now, the query may pass later.
const timeoutStates = /^(57014|55P03)$/;

// Drivers without codes say it in words: a closed PGlite, node-postgres and workerd sockets, and
// Hyperdrive's own pool errors (sent with the catch-all SQLSTATE 58000).
const unavailableMessages =
  /PGlite is closed|connection terminated|terminating connection|network connection lost|socket (has been )?closed|timeout exceeded when trying to connect|Failed to acquire a connection from the pool|Server connection attempt failed/i;

/** Whether the database cancelled the statement for running (or waiting on a lock) too long. */
const isStatementTimeout = (error: unknown) => timeoutStates.test(sqlState(error) ?? '');

/**
 * Whether a database error means the database cannot serve the query right now (refused, reset,
 * connect timeout, closed, shutting down, too many connections, statement timeout) rather than
 * that the query itself failed: the first is a 503 the client may retry, the second a bug or bad input.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of errorChain(error)) {
    const code = codeOf(e);
    if (code && (connectionCodes.has(code) || unavailableStates.test(code) || timeoutStates.test(code)))
      return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && unavailableMessages.test(message.split('\nparams: ')[0]!)) return true;
  }
  return false;
}

/**
 * A database failure in a few words for public output (GET /ready): the kind and the code, never
 * the SQL, its parameters or the server's address.
 */
export function describeDatabaseFailure(error: unknown): string {
  const codes = [...errorChain(error)].map(codeOf).filter((c): c is string => c !== undefined);
  const code = codes.find((c) => connectionCodes.has(c) || /^[0-9A-Z]{5}$/.test(c));
  if (isStatementTimeout(error)) return `timed out (${code})`;
  if (isDatabaseUnavailable(error)) return code ? `unreachable (${code})` : 'unreachable';
  return code ? `query failed (${code})` : 'query failed';
}

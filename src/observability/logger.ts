export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

/** Structured logger: one JSON object per line, bound fields carried into children. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

// Keys whose values must never reach a log line, whatever the caller passes.
const secretKeys = /authorization|password|secret|token|api[_-]?key|cookie/i;

// A line stays small whatever a request carried: a field's text, an error's message and its stack
// are cut to these lengths, so one huge input cannot flood the log.
const MAX_FIELD_CHARS = 8192;
const MAX_ERROR_TEXT_CHARS = 1000;
const MAX_STACK_FRAMES = 12;
const MAX_CAUSE_DEPTH = 3;

const cut = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max)}…[${text.length - max} more characters]`;

/**
 * An error as a log field: name, code, message, the stack's frames and the cause chain (the
 * driver's error under drizzle's). Query parameters never appear: drizzle's wrapper puts them in
 * its message after "params:" (dropped here), and the drivers keep theirs in fields not logged.
 * The stack's first line repeats the message, so only the frames are kept.
 */
function describeError(error: Error, depth = 0): LogFields {
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  const message = error.message.split('\nparams: ')[0]!;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  let causeField: unknown;
  if (cause instanceof Error)
    causeField = depth < MAX_CAUSE_DEPTH ? describeError(cause, depth + 1) : cause.name;
  else if (cause !== undefined) causeField = cut(String(cause), MAX_ERROR_TEXT_CHARS);
  return {
    name: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: cut(message, MAX_ERROR_TEXT_CHARS),
    ...(frames.length > 0 ? { stack: frames.slice(0, MAX_STACK_FRAMES).map((f) => cut(f.trim(), 300)) } : {}),
    ...(causeField !== undefined ? { cause: causeField } : {}),
  };
}

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (secretKeys.test(key) && !/^tokens?_(in|out)$/.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = describeError(value);
    else if (typeof value === 'string') out[key] = cut(value, MAX_FIELD_CHARS);
    else out[key] = value;
  }
  return out;
}

export function createLogger(options: {
  level: LogLevel;
  write: (line: string) => void;
  now?: () => Date;
  bindings?: LogFields;
  /**
   * Fields of the work running now, read for each line (trace and span ids, request, user, job:
   * src/observability/tracing.ts, correlationFields); bound and given fields win over them.
   */
  context?: () => LogFields;
}): Logger {
  const threshold = rank[options.level];
  const now = options.now ?? (() => new Date());
  const bindings = options.bindings ?? {};
  const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (rank[level] < threshold) return;
    const own: LogFields = { ...bindings, ...fields };
    // The context fills what the logger left unset (an undefined field does not hide it).
    if (options.context) {
      for (const [key, value] of Object.entries(options.context())) own[key] ??= value;
    }
    options.write(JSON.stringify({ ts: now().toISOString(), level, msg, ...redact(own) }));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...options, bindings: { ...bindings, ...fields } }),
  };
}

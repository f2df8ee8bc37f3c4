import { type Config, configSchema } from './schema.ts';

/** Thrown when settings are missing or invalid; the message names every offending setting. */
export class ConfigError extends Error {
  readonly settings: string[];
  constructor(problems: { setting: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.setting}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.settings = problems.map((p) => p.setting);
  }
}

/** Parses settings from a flat string record (process.env on Node, bindings on Workers). */
export function loadConfig(source: Record<string, unknown>): Config {
  const strings: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (typeof value === 'string') strings[key] = value;
  }
  const parsed = configSchema.safeParse(strings);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      setting: String(issue.path[0] ?? '(root)'),
      message: issue.message,
    })),
  );
}

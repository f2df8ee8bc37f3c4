import { ConfigError, loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import { ensureJwtSecret } from './jwt-secret.ts';

/**
 * Loads settings on Node. The embedded default (no DATABASE_URL) may run without a
 * configured JWT secret: one is generated into DATA_DIR. A real deployment must set one.
 */
export async function loadNodeConfig(env: Record<string, string | undefined>): Promise<{
  config: Config;
  generatedSecret: boolean;
}> {
  const config = loadConfig(env);
  if (config.JWT_SECRET || config.JWT_JWKS_URL) return { config, generatedSecret: false };
  if (config.DATABASE_URL) {
    throw new ConfigError([
      { setting: 'JWT_SECRET', message: 'required with DATABASE_URL (or set JWT_JWKS_URL)' },
    ]);
  }
  const { secret } = await ensureJwtSecret(config.DATA_DIR);
  return { config: { ...config, JWT_SECRET: secret }, generatedSecret: true };
}

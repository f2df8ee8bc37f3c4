import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 8787, DATA_DIR: '.data', LLM_PROVIDER: 'local', LOG_LEVEL: 'info' });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('coerces numbers and treats empty strings as unset', () => {
    const config = loadConfig({ PORT: '9000', DATABASE_URL: '', DB_POOL_MAX: '3' });
    expect(config.PORT).toBe(9000);
    expect(config.DB_POOL_MAX).toBe(3);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('names every invalid setting', () => {
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).settings.sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
      expect((error as Error).message).toContain('PORT');
    }
  });

  it('requires a key or base URL for the openai provider', () => {
    expect(() => loadConfig({ LLM_PROVIDER: 'openai' })).toThrow(/OPENAI_API_KEY/);
    expect(loadConfig({ LLM_PROVIDER: 'openai', LLM_BASE_URL: 'http://127.0.0.1:9/v1' }).LLM_PROVIDER).toBe(
      'openai',
    );
  });

  it('rejects a short JWT secret', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
  });

  it('ignores non-string bindings (Workers env objects)', () => {
    expect(loadConfig({ HYPERDRIVE: { connectionString: 'x' }, PORT: '1234' }).PORT).toBe(1234);
  });
});

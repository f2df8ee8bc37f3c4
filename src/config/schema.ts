import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

/** Every setting cairn knows, with its default; the README table and .env.example mirror this. */
export const configSchema = z
  .object({
    PORT: int(8787, 0, 65535),
    HOST: z.string().default('0.0.0.0'),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    DB_POOL_MAX: int(10, 1, 200),
    DB_IDLE_TIMEOUT_S: int(30, 0, 3600),
    DB_CONNECT_TIMEOUT_S: int(10, 1, 300),
    JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    JWT_JWKS_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    JWT_CLOCK_SKEW_S: int(30, 0, 600),
    LLM_PROVIDER: z.enum(['local', 'openai']).default('local'),
    OPENAI_API_KEY: optionalString,
    LLM_BASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    LLM_MODEL: optionalString,
    EMBEDDING_MODEL: optionalString,
    EMBEDDING_DIMENSIONS: int(384, 8, 4096),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    BODY_LIMIT_BYTES: int(1_048_576, 1024, 104_857_600),
  })
  .superRefine((c, ctx) => {
    if (c.LLM_PROVIDER === 'openai' && !c.OPENAI_API_KEY && !c.LLM_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['OPENAI_API_KEY'],
        message: 'LLM_PROVIDER=openai needs OPENAI_API_KEY or LLM_BASE_URL',
      });
    }
  });

export type Config = z.output<typeof configSchema>;

import { z } from 'zod';
import { parseAllowedHosts } from '../agents/tools/http/allowed-hosts.ts';
import { guardBackendNames } from '../guards/guards.ts';
import { parseRateLimitPolicies } from '../guards/rate-limit/rate-limit-policies.ts';

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

// A setting holding JSON, parsed and then checked against `schema`.
const jsonSetting = <T extends z.ZodType>(schema: T) =>
  optionalString
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema.optional());

// USD per million tokens, keyed by model name (see src/llm/pricing).
const priceOverrides = z.record(
  z.string().min(1),
  z.strictObject({
    input: z.number().min(0),
    output: z.number().min(0),
    cached_input: z.number().min(0).optional(),
  }),
);

// An origin as browsers send it in `Origin`: http(s), host and port only, lower case, no trailing slash.
const isOrigin = (value: string) => {
  try {
    const url = new URL(value);
    // URL takes `*` as a host character; a wildcard is never an origin.
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value && !value.includes('*')
    );
  } catch {
    return false;
  }
};

// Comma-separated exact origins; a wildcard, a path or a trailing slash is refused, never widened.
const corsOrigins = optionalString.transform((v, ctx) => {
  const origins = (v ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  const invalid = origins.find((origin) => !isOrigin(origin));
  if (invalid !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${invalid}" is not an exact origin such as https://app.example.com (scheme, host and optional port; no wildcard, path or trailing slash)`,
    });
    return z.NEVER;
  }
  return origins;
});

// `class:limit/window,...;class:...` over the defaults (see src/guards/rate-limit-policies.ts).
const rateLimitPolicies = optionalString.transform((v, ctx) => {
  try {
    return parseRateLimitPolicies(v);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** Every setting cairn knows, with its default; the README table and .env.example mirror this. */
export const configSchema = z
  .object({
    PORT: int(8787, 0, 65535),
    HOST: z.string().default('0.0.0.0'),
    // Node: `api` serves requests without consuming jobs, `worker` consumes jobs and answers only
    // /health, /ready and /metrics, `all` does both (src/node/server.ts).
    PROCESS_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    DB_POOL_MAX: int(10, 1, 200),
    DB_IDLE_TIMEOUT_S: int(30, 0, 3600),
    DB_CONNECT_TIMEOUT_S: int(10, 1, 300),
    // 0 disables it; long maintenance statements lift it for their own transaction (docs/reliability.md).
    DB_STATEMENT_TIMEOUT_MS: int(15_000, 0, 3_600_000),
    JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    JWT_JWKS_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    JWT_CLOCK_SKEW_S: int(30, 0, 600),
    JWT_MAX_SUBJECT_LENGTH: int(255, 1, 4096),
    JWT_MAX_AGE_S: int(2_592_000, 60, 31_536_000),
    JWT_JWKS_TIMEOUT_MS: int(5000, 100, 60_000),
    JWT_JWKS_COOLDOWN_MS: int(30_000, 0, 3_600_000),
    JWT_JWKS_CACHE_MAX_AGE_MS: int(600_000, 1000, 86_400_000),
    // Rotation: secrets still accepted for HS256 tokens besides JWT_SECRET, comma-separated (src/auth/hs256-keys.ts).
    JWT_SECRET_PREVIOUS: optionalString.pipe(
      z
        .string()
        .refine(
          (v) => v.split(',').every((s) => s.trim().length >= 32),
          'each secret must be at least 32 characters',
        )
        .optional(),
    ),
    // How long a looked-up API key is trusted by an instance: a key revoked elsewhere stops within it.
    API_KEY_CACHE_TTL_S: int(30, 0, 300),
    API_KEY_MAX_PER_USER: int(50, 1, 1000),
    // The admin dashboard's session cookies are signed with this; unset, with a key derived from
    // JWT_SECRET (src/admin/dashboard/session.ts). With neither, dashboard sign-in is unavailable.
    ADMIN_SESSION_SECRET: optionalString.pipe(
      z.string().min(32, 'must be at least 32 characters').optional(),
    ),
    ADMIN_SESSION_TTL_S: int(28_800, 60, 604_800),
    // Retention, in days (0 keeps forever), enforced by the maintenance sweep in bounded batches
    // (src/account/retention.ts). Usage events feed monthly quotas and billing: at least 62 days.
    RETENTION_USAGE_EVENTS_DAYS: int(0, 0, 36_500).refine(
      (v) => v === 0 || v >= 62,
      'must be 0 or at least 62',
    ),
    RETENTION_MESSAGES_DAYS: int(0, 0, 36_500),
    RETENTION_AGENT_RUNS_DAYS: int(0, 0, 36_500),
    RETENTION_AUDIT_DAYS: int(0, 0, 36_500),
    RETENTION_BATCH_SIZE: int(1000, 10, 100_000),
    // Billing (README, "Subscriptions and billing webhooks"): the inbound webhook's signing secret
    // (unset: POST /billing/webhooks answers 404), its timestamp tolerance, and a price → plan map
    // used when a price carries no `cairn_plan` metadata.
    BILLING_WEBHOOK_SECRET: optionalString.pipe(
      z.string().min(16, 'must be at least 16 characters').optional(),
    ),
    BILLING_WEBHOOK_TOLERANCE_S: int(300, 1, 86_400),
    BILLING_PRICE_PLANS: jsonSetting(z.record(z.string().min(1).max(255), z.string().min(1).max(64))),
    // Usage records go out to this URL as signed webhooks (through the job queue) when set, signed
    // with BILLING_USAGE_WEBHOOK_SECRET, else BILLING_WEBHOOK_SECRET.
    BILLING_USAGE_WEBHOOK_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    BILLING_USAGE_WEBHOOK_SECRET: optionalString.pipe(
      z.string().min(16, 'must be at least 16 characters').optional(),
    ),
    BILLING_USAGE_WEBHOOK_TIMEOUT_MS: int(10_000, 100, 120_000),
    LLM_PROVIDER: z.enum(['local', 'openai']).default('local'),
    OPENAI_API_KEY: optionalString,
    LLM_BASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    LLM_MODEL: optionalString,
    EMBEDDING_MODEL: optionalString,
    EMBEDDING_DIMENSIONS: int(384, 8, 4096),
    LLM_TIMEOUT_MS: int(30_000, 100, 600_000),
    LLM_FIRST_TOKEN_TIMEOUT_MS: int(10_000, 100, 600_000),
    LLM_MAX_RETRIES: int(2, 0, 10),
    LLM_RETRY_BASE_DELAY_MS: int(250, 0, 60_000),
    LLM_RETRY_MAX_DELAY_MS: int(5_000, 0, 120_000),
    LLM_BREAKER_THRESHOLD: int(5, 1, 1000),
    LLM_BREAKER_COOLDOWN_MS: int(30_000, 10, 3_600_000),
    LLM_MAX_INFLIGHT: int(64, 1, 100_000),
    LLM_MAX_OUTPUT_TOKENS: int(16_384, 16, 1_000_000),
    PRICE_OVERRIDES: jsonSetting(priceOverrides),
    // What a prompt-injection flag does: `flag` marks and reports it, `block` also refuses the input,
    // leaves the chunk out or withholds the tool result; `off` does not run the detector.
    INJECTION_DETECTION: z.enum(['flag', 'block', 'off']).default('flag'),
    ANALYZE_MAX_ATTEMPTS: int(3, 1, 10),
    ANALYZE_MAX_TEXT_CHARS: int(20_000, 1, 1_000_000),
    ANALYZE_MAX_OUTPUT_TOKENS: int(1024, 16, 100_000),
    ANALYZE_SCHEMA_MAX_BYTES: int(16_384, 256, 1_048_576),
    ANALYZE_SCHEMA_MAX_DEPTH: int(16, 2, 64),
    SCHEMA_MAX_ITEMS: int(1000, 1, 1_000_000),
    SCHEMA_MAX_STRING_LENGTH: int(10_000, 16, 1_000_000),
    SCHEMA_MAX_OUTPUT_BYTES: int(262_144, 1024, 16_777_216),
    USAGE_FLUSH_INTERVAL_MS: int(1000, 10, 60_000),
    USAGE_BATCH_SIZE: int(200, 1, 10_000),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    BODY_LIMIT_BYTES: int(1_048_576, 1024, 104_857_600),
    DOCUMENT_MAX_BYTES: int(10_485_760, 1024, 104_857_600),
    RAG_CHUNK_SIZE: int(300, 16, 2048),
    RAG_CHUNK_OVERLAP: int(40, 0, 1024),
    RAG_EMBED_BATCH_SIZE: int(64, 1, 2048),
    RAG_SEARCH_TOP_K_MAX: int(50, 1, 500),
    RAG_SEARCH_CANDIDATES: int(50, 10, 2000),
    RAG_RRF_K: int(45, 1, 1000),
    RAG_HYBRID_VECTOR_WEIGHT: z.coerce.number().min(0).max(10).default(0.5),
    // Unset: chosen from the index version's size (see src/rag/search/search-chunks.ts).
    RAG_HNSW_EF_SEARCH: optionalString
      .transform((v) => (v === undefined ? undefined : Number(v)))
      .pipe(z.number().int().min(10).max(1000).optional()),
    RAG_HNSW_MIN_CHUNKS: int(5000, 0, 100_000_000),
    RAG_CACHE_ENTRIES: int(2000, 0, 1_000_000),
    RAG_CACHE_TTL_S: int(300, 1, 86_400),
    RAG_CHAT_TOP_K: int(8, 1, 50),
    RAG_CHAT_CONTEXT_TOKENS: int(3000, 100, 200_000),
    RAG_RETIRED_PURGE_DELAY_S: int(300, 0, 604_800),
    RAG_MAX_CHUNKS_PER_DOCUMENT: int(10_000, 1, 1_000_000),
    JOB_MAX_ATTEMPTS: int(5, 1, 100),
    JOB_BACKOFF_BASE_MS: int(1000, 0, 3_600_000),
    JOB_BACKOFF_MAX_MS: int(300_000, 0, 86_400_000),
    JOB_CONCURRENCY: int(2, 1, 64),
    JOB_POLL_INTERVAL_MS: int(1000, 10, 60_000),
    JOB_LEASE_S: int(120, 5, 3600),
    JOB_TIMEOUT_MS: int(600_000, 100, 86_400_000),
    RATE_LIMIT_BACKEND: optionalString.pipe(z.enum(guardBackendNames).optional()),
    IDEMPOTENCY_BACKEND: optionalString.pipe(z.enum(guardBackendNames).optional()),
    RATE_LIMIT_POLICIES: rateLimitPolicies,
    RATE_LIMIT_FAILURE_MODE: z.enum(['open', 'closed']).default('open'),
    IDEMPOTENCY_FAILURE_MODE: z.enum(['open', 'closed']).default('closed'),
    IDEMPOTENCY_TTL_S: int(86_400, 1, 2_592_000),
    IDEMPOTENCY_LOCK_TTL_S: int(300, 1, 86_400),
    IDEMPOTENCY_MAX_RESPONSE_BYTES: int(1_048_576, 1024, 1_572_864),
    GUARD_TIMEOUT_MS: int(2000, 10, 60_000),
    TRUST_PROXY: int(0, 0, 10),
    // Pages on these origins may call the API from a browser (src/http/cors.middleware.ts); empty,
    // no CORS headers are sent and browsers refuse cross-origin calls.
    CORS_ALLOWED_ORIGINS: corsOrigins,
    MAX_INFLIGHT_PER_USER: int(32, 1, 100_000),
    // Plans and quotas (src/billing/quotas): `off` stops checking and counting them entirely.
    QUOTA_ENFORCEMENT: z.enum(['on', 'off']).default('on'),
    QUOTA_RESERVATION_TTL_S: int(900, 60, 86_400),
    AGENT_MAX_STEPS: int(8, 1, 100),
    AGENT_MAX_DEPTH: int(2, 0, 5),
    AGENT_TIMEOUT_MS: int(60_000, 100, 3_600_000),
    AGENT_TOOL_TIMEOUT_MS: int(10_000, 10, 600_000),
    AGENT_MAX_TOOL_CALLS_PER_STEP: int(4, 1, 32),
    AGENT_MAX_ARG_RETRIES: int(2, 0, 10),
    AGENT_MAX_COST_USD: z.coerce.number().positive().max(10_000).default(1),
    AGENT_MAX_INPUT_CHARS: int(8000, 1, 200_000),
    AGENT_MAX_RESULT_BYTES: int(65_536, 256, 1_048_576),
    AGENT_HTTP_ALLOWED_HOSTS: optionalString.transform((v, ctx) => {
      try {
        return parseAllowedHosts(v);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
    AGENT_HTTP_MAX_RESPONSE_BYTES: int(32_768, 1024, 16_777_216),
    AGENT_HTTP_MAX_REDIRECTS: int(3, 0, 10),
    AGENT_HTTP_BREAKER_THRESHOLD: int(5, 1, 1000),
    AGENT_HTTP_BREAKER_COOLDOWN_MS: int(30_000, 10, 3_600_000),
    // GET /metrics accepts `Bearer <METRICS_TOKEN>` besides an admin JWT (src/observability/metrics-export).
    METRICS_TOKEN: optionalString.pipe(
      z
        .string()
        .min(16, 'must be at least 16 characters')
        .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
        .optional(),
    ),
    // OTLP/HTTP export (the OpenTelemetry SDK's own variable names): traces go to
    // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else to `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`;
    // neither set, nothing is recorded or sent.
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    // `key=value` pairs separated by commas, values URL-encoded (an API key for the collector).
    OTEL_EXPORTER_OTLP_HEADERS: optionalString,
    OTEL_SERVICE_NAME: z.string().trim().min(1).default('cairn'),
    // The share of traces started here that are recorded; a caller's sampled flag is followed.
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
    // Workers push metrics over OTLP/HTTP to this URL as is, else to `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/metrics`,
    // at most once per OTEL_METRIC_EXPORT_INTERVAL per isolate (the OpenTelemetry SDK's own variable names).
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    OTEL_METRIC_EXPORT_INTERVAL: int(60_000, 1000, 3_600_000),
  })
  .superRefine((c, ctx) => {
    // The same rule as per-document chunking (src/rag/chunking/chunk-text.ts: maxChunkOverlap).
    if (c.RAG_CHUNK_OVERLAP * 4 > c.RAG_CHUNK_SIZE) {
      ctx.addIssue({
        code: 'custom',
        path: ['RAG_CHUNK_OVERLAP'],
        message: 'must be at most a quarter of RAG_CHUNK_SIZE',
      });
    }
    // The embedded database belongs to one process: an api alone would leave its jobs unconsumed.
    if (c.PROCESS_ROLE !== 'all' && !c.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['PROCESS_ROLE'],
        message: 'api and worker need DATABASE_URL (the embedded database serves one process)',
      });
    }
    if (c.BILLING_USAGE_WEBHOOK_URL && !c.BILLING_USAGE_WEBHOOK_SECRET && !c.BILLING_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['BILLING_USAGE_WEBHOOK_URL'],
        message: 'needs BILLING_USAGE_WEBHOOK_SECRET or BILLING_WEBHOOK_SECRET to sign the records',
      });
    }
    if (c.LLM_PROVIDER === 'openai' && !c.OPENAI_API_KEY && !c.LLM_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['OPENAI_API_KEY'],
        message: 'LLM_PROVIDER=openai needs OPENAI_API_KEY or LLM_BASE_URL',
      });
    }
  });

export type Config = z.output<typeof configSchema>;

import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { nodeFlags } from './scripts/check-node.mjs';
import { TEST_JWT_SECRET } from './test/helpers/test-secret.ts';

const workerEnv = {
  JWT_SECRET: TEST_JWT_SECRET,
  LOG_LEVEL: 'warn',
  // test/workers/billing-webhooks.test.ts signs its events with it.
  BILLING_WEBHOOK_SECRET: 'whsec_test_billing_secret_0123456789',
  // As in test/helpers/test-app.ts: no test meets the rate limiter by accident (the guards' tests set their own).
  RATE_LIMIT_POLICIES:
    'model:1000000/1s;write:1000000/1s;read:1000000/1s;admin:1000000/1s;anonymous:1000000/1s',
};

// The test processes run with the server's Node options, so tests see what `npm start` runs.
const execArgv = nodeFlags();

export default defineConfig({
  test: {
    // CI also writes a JSON report, from which .ci/run prints the closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.ci-results/vitest.json' }]]
      : ['default'],
    projects: [
      {
        test: {
          name: 'node',
          execArgv,
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/contracts/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // test/fuzz: generated requests against every route over real HTTP; one long test per file.
          name: 'fuzz',
          execArgv,
          include: ['test/fuzz/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          execArgv,
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...workerEnv,
                DATABASE_URL: inject('workersDatabaseUrl'),
                // The fake rates API of test/workers/global-setup.ts, for test/workers/agents.test.ts.
                AGENT_HTTP_ALLOWED_HOSTS: inject('agentRatesApiHost'),
                // The local OTLP collector of test/workers/global-setup.ts, for test/workers/tracing.test.ts.
                OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: inject('otlpTracesEndpoint'),
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          globalSetup: ['test/workers/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

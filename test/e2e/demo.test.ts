import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';
import { type ServerProcess, startServer } from './server-process.ts';

/** Runs `node scripts/demo.ts` against `url`; resolves with its exit code and output. */
function runDemo(url: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['scripts/demo.ts', '--url', url], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo against the embedded default', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ JWT_SECRET: TEST_JWT_SECRET });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('walks through the five capabilities and prints a transcript', async () => {
    const { code, stdout, stderr } = await runDemo(server.baseUrl, { JWT_SECRET: TEST_JWT_SECRET });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const title of [
      '== 1. Structured LLM gateway ==',
      '== 2. RAG on Postgres + pgvector ==',
      '== 3. Tool-calling agents ==',
      '== 4. Reliability and observability ==',
      '== 5. SaaS core ==',
    ])
      expect(stdout).toContain(title);
    expect(stdout).toContain('Idempotent-Replayed: true');
    expect(stdout).toContain('revoked key: refused');
    expect(stdout).toMatch(/step 1: tool_calls \(calculator:ok\)/);
    expect(stdout).toContain('All five capabilities answered.');
  });

  it('fails with a clear message, exit 1, when no server answers', async () => {
    const { code, stderr } = await runDemo('http://127.0.0.1:9', { JWT_SECRET: TEST_JWT_SECRET });
    expect(code).toBe(1);
    expect(stderr).toContain('No cairn server answers at http://127.0.0.1:9');
  });

  it('stops at the first unexpected answer, naming it: a token for another secret is refused', async () => {
    const { code, stderr } = await runDemo(server.baseUrl, {
      JWT_SECRET: 'another-secret-that-is-at-least-32-characters',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/POST \/analyze answered 401/);
  });
});

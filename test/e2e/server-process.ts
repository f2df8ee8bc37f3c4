import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { nodeFlags } from '../../scripts/check-node.mjs';
import { mintToken } from '../../src/auth/mint-token.ts';
import type { Role } from '../../src/auth/principal.ts';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { routers } from '../../src/routes.ts';
import { openTestDatabase } from '../helpers/databases.ts';
import { createResponseChecker } from '../helpers/response-schemas.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';

export interface ServerProcess {
  baseUrl: string;
  stdout: string[];
  stderr: () => string;
  /**
   * Sends a request over HTTP; the response is checked against the OpenAPI contract of the
   * route that answered it (test/helpers/response-schemas.ts).
   */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** `request` with a bearer token for `sub`, signed with TEST_JWT_SECRET (start the server with it). */
  as(sub: string, path: string, init?: RequestInit & { role?: Role }): Promise<Response>;
  stop(): Promise<number | null>;
}

// The routers the server mounts, read in this process.
const checkResponse = createResponseChecker(() =>
  routers.flatMap((router) => router.openAPIRegistry.definitions),
);

/** Starts `node src/node/main.ts` as a real process on a free port and waits for its "listening" line. */
export async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cairn-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags(), 'src/node/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  // Waits for the info-level "listening" line (so LOG_LEVEL must stay at info or below); a server
  // that fails to start is killed and its data folder removed, so no test leaks a process.
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as { msg?: string; port?: number };
        if (parsed.msg === 'listening' && parsed.port) resolve(parsed.port);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`server did not start in 60 s: ${stderr}`)), 60_000).unref();
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const request = async (path: string, init?: RequestInit) => {
    const req = new Request(`${baseUrl}${path}`, init);
    const response = await fetch(req);
    await checkResponse(req, response);
    return response;
  };
  return {
    baseUrl,
    stdout,
    stderr: () => stderr,
    request,
    async as(sub, path, init = {}) {
      const { role = 'user', ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('Authorization', `Bearer ${await mintToken({ secret: TEST_JWT_SECRET, sub, role })}`);
      return request(path, { ...rest, headers });
    },
    async stop() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const code = await exited;
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * Two server processes on one fresh PostgreSQL database, as behind a load balancer, for the
 * enclosing describe block. The returned object is filled in beforeAll; read it inside tests.
 */
export function useServersOnSharedPostgres(env: Record<string, string>) {
  const context = {} as { database: DatabaseHandle & { url?: string }; servers: ServerProcess[] };
  beforeAll(async () => {
    context.database = await openTestDatabase('postgres');
    const shared = { DATABASE_URL: context.database.url!, JWT_SECRET: TEST_JWT_SECRET, ...env };
    context.servers = await Promise.all([startServer(shared), startServer(shared)]);
  });
  afterAll(async () => {
    await Promise.all((context.servers ?? []).map((s) => s.stop()));
    await context.database?.close();
  });
  return context;
}

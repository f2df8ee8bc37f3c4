// cairn's Node entry (src/node/main.ts) as a child process the fault runs can kill -9.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { nodeFlags } from '../../scripts/check-node.mjs';
import { mintToken } from '../../src/auth/mint-token.ts';

const root = path.resolve(import.meta.dirname, '../..');
const FAULTS_SECRET = 'fault-injection-secret-at-least-32-characters';
const children = new Set<ChildProcess>();

// No run leaves a server behind (by the handles spawn returned).
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface CairnProcess {
  url: string;
  pid: number;
  /** Every stdout line so far (JSON log lines). */
  lines: string[];
  /** SIGKILL: no shutdown hook runs, as in a crash or an OOM kill. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful shutdown (usage events are flushed, jobs in flight finish). */
  stop(): Promise<void>;
}

/** Starts cairn with `env` on a free port and resolves once /health answers. */
export async function startCairn(env: Record<string, string>): Promise<CairnProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeFlags(), 'src/node/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      JWT_SECRET: FAULTS_SECRET,
      LOG_LEVEL: 'info',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code ?? -1;
      children.delete(child);
      resolve();
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const lines: string[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (exitCode !== null) throw new Error(`cairn exited with ${exitCode}: ${stderr}`);
    if (i > 600) {
      child.kill('SIGKILL');
      throw new Error(`cairn did not answer /health within 60 s: ${stderr}`);
    }
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    lines,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An Authorization header for `sub`, signed with the secret the fault runs start cairn with. */
export async function bearer(sub: string, role: 'user' | 'admin' = 'user'): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await mintToken({ secret: FAULTS_SECRET, sub, role })}` };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

const root = path.resolve(import.meta.dirname, '../..');
const children = new Set<ChildProcess>();

/** Stops every process this benchmark started (by the handles spawn returned). */
export function stopAll(): void {
  for (const child of children) child.kill('SIGTERM');
  children.clear();
}

function start(script: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [path.join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Starts the fake upstream and returns its base URL (ending in /v1). */
export async function startUpstream(delayMs: number): Promise<string> {
  const child = start('bench/gateway/fake-upstream-process.ts', ['--delay', String(delayMs)], {});
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) return (JSON.parse(line) as { url: string }).url;
  throw new Error('the fake upstream exited before listening');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts cairn's Node entry (npm start) with `env` and waits until /health answers. */
export async function startCairn(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = start('src/node/main.ts', [], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`cairn exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('cairn did not become healthy within 30 s');
}

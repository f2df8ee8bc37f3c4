import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { nodeFlags } from '../../scripts/check-node.mjs';
import { mintToken } from '../../src/auth/mint-token.ts';

const root = path.resolve(import.meta.dirname, '../..');
const children = new Set<ChildProcess>();

/** Stops every process this benchmark started (by the handles spawn returned; npm's by its group). */
export function stopAll(): void {
  for (const child of children) stop(child);
  children.clear();
}

function stop(child: ChildProcess): void {
  if (child.exitCode !== null || child.pid === undefined) return;
  try {
    // Started detached (npm start): signal its own process group, i.e. npm and the server it ran.
    if (child.spawnargs[0] === 'npm') process.kill(-child.pid, 'SIGTERM');
    else child.kill('SIGTERM');
  } catch {
    // Already gone.
  }
}

function start(script: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [...nodeFlags(), path.join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Starts a process that prints {"url": …} once listening, and returns that URL. */
async function startListening(script: string, args: string[]): Promise<string> {
  const child = start(script, args, {});
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) return (JSON.parse(line) as { url: string }).url;
  throw new Error(`${script} exited before listening`);
}

/** Starts the fake upstream and returns its base URL (ending in /v1). */
export const startUpstream = (delayMs: number): Promise<string> =>
  startListening('bench/gateway/fake-upstream-process.ts', ['--delay', String(delayMs)]);

/** Starts the bare reference proxy in front of `upstream`; any path of the URL it returns is forwarded. */
export const startBareProxy = (upstream: string): Promise<string> =>
  startListening('bench/gateway/bare-proxy-process.ts', ['--upstream', upstream]);

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

async function waitFor(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (child.exitCode !== null) throw new Error(`cairn exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

export interface Cairn {
  url: string;
  pid: number;
  stop(): void;
}

/** Starts cairn's Node entry with `env` and waits until /health answers. */
export async function startCairn(env: Record<string, string>): Promise<Cairn> {
  const port = await freePort();
  const child = start('src/node/main.ts', [], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  await waitFor(child, `${url}/health`, 30_000);
  return { url, pid: child.pid!, stop: () => stop(child) };
}

/** Runs `npm start` with `env` and returns the milliseconds until GET /ready answers 200. */
export async function timeNpmStartToReady(env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  try {
    await waitFor(child, `http://127.0.0.1:${port}/ready`, 30_000);
    return performance.now() - started;
  } finally {
    stop(child);
  }
}

/** The resident memory (MB) of a process and all its descendants (threads are within their process). */
export async function treeRssMb(pid: number): Promise<number> {
  let kb = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    const status = await readFile(`/proc/${next}/status`, 'utf8').catch(() => '');
    kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    // A child process belongs to the thread that spawned it: read every thread's children.
    for (const task of await readdir(`/proc/${next}/task`).catch(() => [])) {
      const listed = await readFile(`/proc/${next}/task/${task}/children`, 'utf8').catch(() => '');
      pending.push(...listed.split(/\s+/).filter(Boolean).map(Number));
    }
  }
  return Math.round(kb / 1024);
}

/**
 * Moves `sub` to a plan without limits, through the admin API: quotas stay on (every request
 * reserves and settles), but the free plan's 500 model requests a day would end a run in seconds.
 */
export async function liftQuotas(url: string, secret: string, sub: string): Promise<void> {
  const as = async (who: { sub: string; role: 'admin' | 'user' }) => ({
    authorization: `Bearer ${await mintToken({ secret, ...who })}`,
    'content-type': 'application/json',
  });
  const admin = await as({ sub: 'bench-admin', role: 'admin' });
  const plan = await fetch(`${url}/admin/plans`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({
      name: 'bench',
      description: 'Benchmarks: every quota unlimited',
      model_requests_per_day: null,
      tokens_per_month: null,
      cost_usd_per_month: null,
      agent_runs_per_day: null,
      documents: null,
      stored_bytes: null,
    }),
  });
  // 409: a server on the same PostgreSQL database made it already.
  if (plan.status !== 201 && plan.status !== 409) throw new Error(`creating the bench plan: ${plan.status}`);
  // The user exists once it has made a request.
  await fetch(`${url}/me`, { headers: await as({ sub, role: 'user' }) });
  const moved = await fetch(`${url}/admin/users/${sub}/subscription`, {
    method: 'PATCH',
    headers: admin,
    body: JSON.stringify({ plan: 'bench', status: 'active' }),
  });
  if (moved.status !== 200) throw new Error(`moving ${sub} to the bench plan: ${moved.status}`);
}

import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startFakeOpenAi } from '../../test/helpers/fake-openai-server.ts';

/** How many calculator calls the fake asks for in a run: the task says `calls=N`. */
export const taskWithCalls = (calls: number) => `Make ${calls} calculations, then answer (calls=${calls}).`;

const callsOf = (messages: { role: string; content?: unknown }[]) => {
  const task = messages.find((m) => m.role === 'user')?.content;
  return Number(/calls=(\d+)/.exec(typeof task === 'string' ? task : '')?.[1] ?? 0);
};

/**
 * Serves a fake OpenAI-compatible model and prints {"url": …} once listening. Every chat answer
 * waits `delayMs`. While the conversation holds fewer tool results than the task's `calls=N` it
 * asks for one more `calculator` call; then it answers.
 */
export async function serveFakeModel(options: { delayMs: number }): Promise<void> {
  const server = await startFakeOpenAi({
    delayMs: options.delayMs,
    record: false,
    defaultReply: (path, body) => {
      if (path.endsWith('/embeddings')) return { kind: 'embeddings' };
      const messages = (body.messages as { role: string; content?: unknown }[] | undefined) ?? [];
      const done = messages.filter((m) => m.role === 'tool').length;
      if (done < callsOf(messages)) {
        return {
          kind: 'chat',
          content: null,
          toolCalls: [
            { name: 'calculator', arguments: JSON.stringify({ expression: `(${done} + 17) * 23` }) },
          ],
          usage: { prompt: 400 + 60 * done, completion: 20 },
        };
      }
      return {
        kind: 'chat',
        content: `Done: ${done} calculations made.`,
        usage: { prompt: 400 + 60 * done, completion: 30 },
      };
    },
  });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
}

/**
 * Starts the fake model in its own process (`node bench/agents.ts --fake-model`), so it never
 * competes with cairn's event loop; returns its base URL (ending in /v1) and how to stop it.
 */
export async function startFakeModel(delayMs: number): Promise<{ url: string; stop: () => void }> {
  const script = path.resolve(import.meta.dirname, '..', 'agents.ts');
  const child: ChildProcess = spawn(process.execPath, [script, '--fake-model', '--delay', String(delayMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('exit', stop);
  for await (const line of createInterface({ input: child.stdout! })) {
    return { url: (JSON.parse(line) as { url: string }).url, stop };
  }
  throw new Error('the fake model exited before listening');
}

import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

// cairn's own modules, by folder, then libraries.
const SRC = `${path.resolve(import.meta.dirname, '../..')}/src/`;
const CAIRN: [string, string][] = [
  ['agents/runs/', 'cairn agents/runs (loop, store, execution)'],
  ['agents/tools/', 'cairn agents/tools'],
  ['agents/', 'cairn agents (other)'],
  ['llm/', 'cairn llm client (accounting, retries)'],
  ['guards/', 'cairn guards and auth'],
  ['auth/', 'cairn guards and auth'],
  ['', 'cairn (other)'],
];
const LIBRARIES: [RegExp, string][] = [
  [/node_modules\/openai\//, 'openai SDK'],
  [/node_modules\/drizzle-orm\//, 'drizzle-orm'],
  [/node_modules\/postgres\//, 'postgres.js'],
  [/node_modules\/@electric-sql\//, 'pglite'],
  [/node_modules\/(@hono|hono)\//, 'hono'],
  [/node_modules\/zod\//, 'zod'],
  [/node_modules\/gpt-tokenizer\//, 'gpt-tokenizer'],
  [/node_modules\/jose\//, 'jose'],
  [/node_modules\//, 'other libraries'],
  [/\/bench\//, 'benchmark harness'],
  [/^node:|^$/, 'node internals'],
];

const cairnPath = (url: string) => {
  const at = url.indexOf(SRC);
  return at === -1 ? undefined : url.slice(at + SRC.length);
};

function areaOf(frame: ProfileNode['callFrame']): string {
  if (frame.functionName.startsWith('(') && frame.url === '') return frame.functionName;
  const own = cairnPath(frame.url);
  if (own !== undefined) return CAIRN.find(([folder]) => own.startsWith(folder))![1];
  return LIBRARIES.find(([pattern]) => pattern.test(frame.url))?.[1] ?? 'other';
}

export interface ProfileSummary {
  file: string;
  sampled_ms: number;
  /** Time this thread ran code (everything but "(idle)"), and time it waited. */
  busy_ms: number;
  idle_ms: number;
  /** Self time per area, ms, largest first ("(idle)" is time waiting: on the model, or the database thread). */
  by_area: { area: string; self_ms: number; share: number }[];
  /** The functions with the most self time, busy time only. */
  top_functions: { function: string; where: string; self_ms: number }[];
  /**
   * Busy time by the innermost cairn function on the stack: its own code and the libraries it
   * called synchronously (an await splits a stack: continuations count under whoever resumes them).
   */
  by_cairn_function: { function: string; where: string; ms: number }[];
}

const shortPath = (frame: ProfileNode['callFrame']) =>
  `${frame.url.replace(/^.*?\/(src|node_modules|bench)\//, '$1/')}:${frame.lineNumber + 1}`;

/** Samples the CPU of this thread while `work` runs; writes the .cpuprofile and summarises self time. */
export async function profileCpu(name: string, work: () => Promise<void>): Promise<ProfileSummary> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  let profile: CpuProfile;
  try {
    await work();
  } finally {
    // Stopped even when the work fails, so the session never keeps sampling.
    ({ profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile });
    session.disconnect();
  }
  const dir = path.resolve(import.meta.dirname, '..', 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, { function: string; where: string; us: number }>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    total += us;
    if (area.startsWith('(')) continue;
    const where = shortPath(frame);
    const key = `${frame.functionName}@${where}`;
    const entry = functions.get(key) ?? { function: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const owners = new Map<string, { function: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    if (areaOf(byId.get(id)!.callFrame).startsWith('(')) continue;
    let at: number | undefined = id;
    while (at !== undefined && cairnPath(byId.get(at)!.callFrame.url) === undefined) at = parent.get(at);
    const frame = at === undefined ? undefined : byId.get(at)!.callFrame;
    const key = frame ? `${frame.functionName}@${shortPath(frame)}` : '';
    const entry = owners.get(key) ?? {
      function: frame ? frame.functionName || '(anonymous)' : '(no cairn frame: event loop, I/O, microtasks)',
      where: frame ? shortPath(frame) : '',
      us: 0,
    };
    entry.us += us;
    owners.set(key, entry);
  }
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    file,
    sampled_ms: ms(total),
    busy_ms: ms(total - (areas.get('(idle)') ?? 0)),
    idle_ms: ms(areas.get('(idle)') ?? 0),
    by_area: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, self_ms: ms(us), share: Math.round((us / total) * 1000) / 1000 })),
    top_functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 15)
      .map((f) => ({ function: f.function, where: f.where, self_ms: ms(f.us) })),
    by_cairn_function: [...owners.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 15)
      .map((f) => ({ function: f.function, where: f.where, ms: ms(f.us) })),
  };
}

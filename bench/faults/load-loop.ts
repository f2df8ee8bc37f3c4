// A steady closed-loop load for the fault runs: `concurrency` loops, each sending its next request
// as soon as the previous one is answered, every request recorded with its time, status and
// latency. A request that gets no answer within `timeoutMs` counts as a hang.
export interface Sample {
  /** ms since the load started, when the request was sent. */
  at: number;
  path: string;
  /** HTTP status, or 0 for a hang (no answer in time) or a connection error. */
  status: number;
  ms: number;
  retryAfter: string | null;
  /** The problem's `type` slug or title (non-2xx), to tell the causes apart. */
  problem?: string;
  hang?: boolean;
}

export interface LoadRequest {
  path: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Load {
  /** ms since the load started. */
  now(): number;
  stop(): Promise<Sample[]>;
}

export function startLoad(options: {
  baseUrl: string;
  requests: LoadRequest[] | ((i: number) => LoadRequest);
  concurrency: number;
  timeoutMs: number;
  /** Pause between one answer and the next request of the same loop. */
  pauseMs?: number;
}): Load {
  const started = performance.now();
  const now = () => performance.now() - started;
  const samples: Sample[] = [];
  let stopping = false;
  let n = 0;
  const pick = (i: number) =>
    typeof options.requests === 'function'
      ? options.requests(i)
      : options.requests[i % options.requests.length]!;

  async function one(request: LoadRequest) {
    const at = now();
    const sample: Sample = { at, path: request.path, status: 0, ms: 0, retryAfter: null };
    try {
      const res = await fetch(`${options.baseUrl}${request.path}`, {
        method: request.method ?? 'GET',
        headers: { 'content-type': 'application/json', ...request.headers },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await res.text();
      sample.status = res.status;
      sample.retryAfter = res.headers.get('retry-after');
      if (res.status >= 300) {
        try {
          const problem = JSON.parse(text) as {
            type?: string;
            title?: string;
            error?: { type?: string; code?: string };
          };
          sample.problem = problem.type ?? problem.error?.code ?? problem.error?.type ?? problem.title;
        } catch {
          sample.problem = text.slice(0, 80);
        }
      }
    } catch (error) {
      sample.hang = error instanceof Error && error.name === 'TimeoutError';
      sample.problem = error instanceof Error ? error.name : String(error);
    }
    sample.ms = now() - at;
    samples.push(sample);
  }

  const loops = Array.from({ length: options.concurrency }, async () => {
    while (!stopping) {
      await one(pick(n++));
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  });
  return {
    now,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return samples.sort((a, b) => a.at - b.at);
    },
  };
}

export const round = (x: number) => Math.round(x * 10) / 10;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Status counts as { "200": n, "503": n, "hang": n, "error": n }. */
export function statusCounts(samples: Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const key = s.status ? String(s.status) : s.hang ? 'hang' : 'error';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

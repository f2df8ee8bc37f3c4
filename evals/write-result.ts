import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a suite's result as JSON: to `out` when given, else to evals/results/ (not committed),
 * named by suite, provider and time. Returns the path written.
 */
export async function writeResult(
  suite: string,
  provider: string,
  result: { created_at: string },
  out: string | undefined,
): Promise<string> {
  const file =
    out ??
    path.join(
      import.meta.dirname,
      'results',
      `${suite}-${provider}-${result.created_at.replace(/[:.]/g, '-')}.json`,
    );
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

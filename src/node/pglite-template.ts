import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync } from 'node:fs';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// A new embedded database is a copy of a template: a data folder created by initdb and migrated
// once per installation, kept in node_modules/.cache. initdb alone takes several seconds (most
// of a fresh start); copying its result takes a fraction of one. `npm install` builds the
// template (scripts/prepare-embedded-database.mjs); otherwise the first new folder does.

const root = path.resolve(import.meta.dirname, '../..');
const packageJson = (name: string) => path.join(root, 'node_modules', name, 'package.json');

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * The template's folder. Its name changes with PGlite, pgvector and the migrations, so a stale
 * template is never copied; older ones are left for `npm install` to replace with the cache.
 */
export async function templateFolder(migrationsFolder: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [
    packageJson('@electric-sql/pglite'),
    packageJson('@electric-sql/pglite-pgvector'),
    path.join(migrationsFolder, 'meta/_journal.json'),
  ]) {
    hash.update(await readFile(file));
  }
  return path.join(root, 'node_modules/.cache/cairn', `pglite-${hash.digest('hex').slice(0, 16)}`);
}

/** Creates and migrates a new embedded database in `dataDir`, in a process of its own (pglite-init-process.ts). */
function initializeInProcess(dataDir: string, migrationsFolder: string): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-init-process.ts', import.meta.url));
  const child = spawn(process.execPath, [script, dataDir, migrationsFolder], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`creating the embedded database failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

// Work happens in a sibling folder renamed into place at the end, so a crash never leaves a
// half-made folder that looks complete. (Renaming onto an empty folder replaces it.)
const scratch = (folder: string) => `${folder}.partial-${process.pid}-${Date.now()}`;

/** Builds the template if it is missing; returns its folder. */
export async function ensureTemplate(migrationsFolder: string): Promise<string> {
  const template = await templateFolder(migrationsFolder);
  if (await exists(path.join(template, 'PG_VERSION'))) return template;
  await mkdir(path.dirname(template), { recursive: true });
  const building = scratch(template);
  try {
    await initializeInProcess(building, migrationsFolder);
    // Another process may have finished first: its template serves as well.
    await rename(building, template).catch(async (error: unknown) => {
      if (!(await exists(path.join(template, 'PG_VERSION')))) throw error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return template;
}

/**
 * Creates the embedded database in `dataDir` (missing or empty) as a copy of the template; where
 * the template cannot be kept (a read-only node_modules), by initdb in the folder itself. Runs in
 * the database's own thread (pglite-thread.ts), where a synchronous copy blocks nothing else.
 */
export async function createEmbeddedDatabase(dataDir: string, migrationsFolder: string): Promise<void> {
  const template = await ensureTemplate(migrationsFolder).catch(() => undefined);
  await mkdir(path.dirname(dataDir), { recursive: true });
  const building = scratch(dataDir);
  try {
    // cpSync copies in native code, about 3 times faster than cp's one file per turn (1,100 files).
    if (template) cpSync(template, building, { recursive: true });
    else await initializeInProcess(building, migrationsFolder);
    await rename(building, dataDir);
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

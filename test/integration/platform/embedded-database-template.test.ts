import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { MIGRATIONS_FOLDER } from '../../../src/node/database-paths.ts';
import { type DatabaseHandle, openPgliteThread } from '../../../src/node/open-database.ts';
import { ensureTemplate, templateFolder } from '../../../src/node/pglite-template.ts';

const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
  entries: unknown[];
};

describe('new embedded data folders, copied from the template', () => {
  const scratch = mkdtemp(path.join(tmpdir(), 'cairn-template-'));
  const opened: DatabaseHandle[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()));
    await rm(await scratch, { recursive: true, force: true });
  });

  const open = async (folder: string) => {
    const database = await openPgliteThread(folder);
    opened.push(database);
    await database.migrate();
    return database;
  };
  const migrationsIn = async (database: DatabaseHandle) =>
    rowsOf<{ n: number }>(
      await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
    )[0]?.n;

  it('two folders created at once are complete, migrated and independent of each other', async () => {
    const base = await scratch;
    // One of them already exists, empty (as a DATA_DIR made by hand would).
    await mkdir(path.join(base, 'b/pglite'), { recursive: true });
    const [a, b] = await Promise.all([open(path.join(base, 'a/pglite')), open(path.join(base, 'b/pglite'))]);
    expect(await migrationsIn(a)).toBe(journal.entries.length);
    expect(await migrationsIn(b)).toBe(journal.entries.length);
    await a.db.execute(sql`create table only_in_a (x int)`);
    const inB = rowsOf<{ n: number }>(
      await b.db.execute(sql`select count(*)::int as n from pg_tables where tablename = 'only_in_a'`),
    );
    expect(inB[0]?.n).toBe(0);
  });

  it('keeps one template per PGlite, pgvector and migrations, built once', async () => {
    const template = await ensureTemplate(MIGRATIONS_FOLDER);
    expect(await ensureTemplate(MIGRATIONS_FOLDER)).toBe(template);
    expect(await readFile(path.join(template, 'PG_VERSION'), 'utf8')).toMatch(/^\d+/);
    // A new migration names another template, so a stale one is never copied.
    const changed = path.join(await scratch, 'migrations');
    await cp(MIGRATIONS_FOLDER, changed, { recursive: true });
    await writeFile(
      path.join(changed, 'meta/_journal.json'),
      JSON.stringify({
        ...journal,
        entries: [...journal.entries, { idx: journal.entries.length, tag: 'next' }],
      }),
    );
    expect(await templateFolder(changed)).not.toBe(template);
    expect(await templateFolder(MIGRATIONS_FOLDER)).toBe(template);
  });
});

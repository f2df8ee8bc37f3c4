// A throwaway PostgreSQL cluster of the fault runs' own (initdb in a temp folder, a free port),
// which they may stop, kill and restart without touching any server someone else uses.
// Uses the installation's binaries (PG_BIN, else the newest /usr/lib/postgresql/<n>/bin), so the
// pgvector extension installed there is available. As root, the cluster runs as `postgres`.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { loadConfig } from '../../src/config/load-config.ts';
import { openPostgres } from '../../src/node/open-database.ts';
import { freePort } from './cairn-process.ts';

export interface PostgresInstance {
  port: number;
  /** A URL for database `name` on this instance. */
  url(name: string): string;
  /** Creates database `name` with pgvector and cairn's migrations; returns its URL. */
  createDatabase(name: string): Promise<string>;
  start(): void;
  /** `fast` ends sessions and shuts down cleanly; `immediate` is a crash (recovery at next start). */
  stop(mode?: 'fast' | 'immediate'): void;
  destroy(): Promise<void>;
}

function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions
    .map((v) => path.join(root, v, 'bin'))
    .find((d) => existsSync(path.join(d, 'initdb')));
  if (!found)
    throw new Error('no PostgreSQL binaries found: set PG_BIN to the folder holding initdb and pg_ctl');
  return found;
}

export async function startPostgresInstance(): Promise<PostgresInstance> {
  const bin = binDir();
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-faults-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? 'runuser' : path.join(bin, tool);
    const full = asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
    return execFileSync(command, full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c max_connections=300`;
  let running = false;
  const instance: PostgresInstance = {
    port,
    url: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    async createDatabase(name) {
      const admin = postgres(instance.url('postgres'), { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${name}`);
      await admin.end();
      const db = postgres(instance.url(name), { max: 1, onnotice: () => {} });
      await db.unsafe('create extension if not exists vector');
      await db.end();
      const handle = openPostgres(loadConfig({}), instance.url(name));
      await handle.migrate();
      await handle.close();
      return instance.url(name);
    },
    start() {
      run('pg_ctl', [
        '-D',
        data,
        '-l',
        path.join(dir, 'server.log'),
        '-o',
        options,
        '-w',
        '-t',
        '60',
        'start',
      ]);
      running = true;
    },
    stop(mode = 'fast') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async destroy() {
      process.off('exit', stopAtExit);
      if (running) {
        try {
          instance.stop('immediate');
        } catch {
          // Already gone: nothing to stop.
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  // Never leave a server behind, even when the run fails half way.
  const stopAtExit = () => {
    if (running) {
      try {
        instance.stop('immediate');
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stopAtExit);
  try {
    instance.start();
  } catch (error) {
    const log = path.join(dir, 'server.log');
    throw new Error(`PostgreSQL did not start: ${existsSync(log) ? readFileSync(log, 'utf8') : error}`);
  }
  return instance;
}

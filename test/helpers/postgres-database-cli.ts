// Creates (migrated) or drops a test database on TEST_DATABASE_URL from a plain Node process.
// The workerd test project's global setup uses it because Vite resolves `postgres` to its
// Workers build there, which cannot run in Node.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { loadConfig } from '../../src/config/load-config.ts';
import { openPostgres } from '../../src/node/open-database.ts';

const [command, name = `cairn_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`] = process.argv.slice(2);
const base = process.env.TEST_DATABASE_URL;
if (!base || !/^cairn_t_[a-z0-9]+$/.test(name))
  throw new Error('usage: TEST_DATABASE_URL=... create|drop [cairn_t_name]');
const admin = postgres(base, { max: 1, onnotice: () => {} });
const url = new URL(base);
url.pathname = `/${name}`;

if (command === 'create') {
  await admin.unsafe(`create database ${name}`);
  const handle = openPostgres(loadConfig({}), url.toString());
  await handle.migrate();
  await handle.close();
  process.stdout.write(`${url}\n`);
} else if (command === 'drop') {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
}
await admin.end();

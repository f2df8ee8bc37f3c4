import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_FOLDER } from '../../src/node/database-paths.ts';
import { startOtlpCollector } from '../helpers/otlp-collector.ts';

const postgresCli = (...args: string[]) =>
  execFileSync(
    process.execPath,
    [path.resolve(import.meta.dirname, '../helpers/postgres-database-cli.ts'), ...args],
    {
      encoding: 'utf8',
    },
  );

declare module 'vitest' {
  interface ProvidedContext {
    workersDatabaseUrl: string;
    /** host:port of the fake rates API (on 127.0.0.1) the agents' http_request tool may call. */
    agentRatesApiHost: string;
    /** The Worker's OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: a local collector (test/helpers/otlp-collector.ts). */
    otlpTracesEndpoint: string;
  }
}

// Frontend messages that end an extended-query cycle (Sync), or are a cycle of their own.
const CYCLE_ENDS = new Set(['S', 'Q', 'X'].map((type) => type.charCodeAt(0)));

/**
 * PGlite is one session, and its socket server interleaves the protocol messages of all
 * clients, so one connection's Parse can replace the unnamed statement another has yet to
 * Bind ("bind message supplies 1 parameters, but prepared statement "" requires 0"). Reporting
 * an open Parse..Sync cycle as a transaction makes the server finish that client's cycle first,
 * as its own session would on PostgreSQL.
 */
function oneCycleAtATime(db: PGlite): PGlite {
  let cycleOpen = false;
  return new Proxy(db, {
    get(target, property) {
      if (property === 'isInTransaction') return () => cycleOpen || target.isInTransaction();
      if (property === 'execProtocolRawStream') {
        return async (...args: Parameters<PGlite['execProtocolRawStream']>) => {
          const type = args[0][0] ?? 0;
          try {
            return await target.execProtocolRawStream(...args);
          } finally {
            // The startup message has no type byte (it begins with its length).
            if (type !== 0) cycleOpen = !CYCLE_ENDS.has(type);
          }
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A fake exchange-rates API for test/workers/agents.test.ts: the http_request tool's fetch transport
 * calls it from workerd. Its host:port is the Worker's AGENT_HTTP_ALLOWED_HOSTS (vitest.config.ts).
 */
async function startRatesApi() {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://rates.test');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    switch (pathname) {
      case '/latest':
        return json(200, { base: 'USD', date: '2025-01-08', rates: { EUR: 0.92, GBP: 0.79, JPY: 157.3 } });
      case '/moved':
        return json(302, {}, { location: '/latest?base=USD' });
      case '/metadata':
        return json(302, {}, { location: 'http://169.254.169.254/latest/meta-data/' });
      case '/broken':
        return json(500, { error: 'the rates service is down' });
      case '/large':
        // Over AGENT_HTTP_MAX_RESPONSE_BYTES (32 KiB): the transport reads the cap and cancels the rest.
        return json(200, { rates: Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`X${i}`, i])) });
      case '/binary':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(Buffer.from([0, 1, 2, 3]));
      case '/slow':
        // Never answers: the tool's time cap must end the call (closed at teardown).
        return;
      default:
        return json(404, { error: 'no such path' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Gives the workerd tests a migrated PostgreSQL: a fresh database on TEST_DATABASE_URL when
 * set, else PGlite served over TCP so `npm test` needs no PostgreSQL installed.
 */
export default async function setup(project: TestProject) {
  const ratesApi = await startRatesApi();
  project.provide('agentRatesApiHost', ratesApi.host);
  // The Worker exports its spans here; test/workers/tracing.test.ts reads them back (GET /spans).
  const collector = await startOtlpCollector();
  project.provide('otlpTracesEndpoint', `${collector.url}/v1/traces`);
  if (process.env.TEST_DATABASE_URL) {
    const url = postgresCli('create').trim();
    project.provide('workersDatabaseUrl', url);
    return async () => {
      await ratesApi.close();
      await collector.close();
      postgresCli('drop', new URL(url).pathname.slice(1));
    };
  }
  const pglite = await PGlite.create({ extensions: { vector } });
  await migrate(drizzle(pglite), { migrationsFolder: MIGRATIONS_FOLDER });
  // PGlite is one session; the socket server queues the clients' messages. The bound is high:
  // each request's connection stays open after its response (workers/request-database.ts never
  // ends the client), so a run holds about 70 at its peak.
  const server = new PGLiteSocketServer({
    db: oneCycleAtATime(pglite),
    host: '127.0.0.1',
    port: 0,
    maxConnections: 1000,
  });
  await server.start();
  project.provide('workersDatabaseUrl', `postgres://postgres@${server.getServerConn()}/postgres`);
  return async () => {
    await ratesApi.close();
    await collector.close();
    await server.stop();
    await pglite.close();
  };
}

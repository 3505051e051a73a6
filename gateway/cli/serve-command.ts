/** `interlock serve` and `interlock token create`. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.ts';
import { createToken, RoleSchema, TokenNameSchema } from '../auth/tokens.ts';
import { openDatabase } from '../store/db.ts';
import { startGateway } from '../server.ts';
import { UsageError } from './args.ts';

export const serveUsage = `  interlock serve [--config interlock.yaml] [--port N] [--host H] [--db URL]
      Start the gateway (embedded default: SQLite under ./var/, simulated roaster-1, L3).
  interlock token create --role agent|operator|admin|auditor --name NAME [--config F] [--db URL]
      Create a bearer token and print it (shown once).`;

export async function runServe(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' } },
    strict: true,
  });
  const config = loadConfig(values.config);
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be an integer 0–65535');
    config.server.port = port;
  }
  if (values.host) config.server.host = values.host;
  if (values.db) config.database.url = values.db;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(config);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') {
      console.error(`interlock: ${config.server.host}:${config.server.port} is already in use; stop the other process or pass --port`);
      return 1;
    }
    throw err;
  }
  if (gateway.bootstrapToken) {
    console.log(`\nFirst start: an admin token was created. It is shown once; store it now.\n\n  INTERLOCK_TOKEN=${gateway.bootstrapToken.token}\n`);
  }
  console.log(`interlock listening on ${gateway.url}  (console: ${gateway.url}/console, API: ${gateway.url}/openapi.json, metrics: ${gateway.url}/metrics)`);
  await new Promise<void>((resolve) => {
    const shutdown = (): void => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      void gateway.stop().finally(resolve);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  return 0;
}

export async function runToken(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'create') throw new UsageError(`usage:\n${serveUsage}`);
  const { values } = parseArgs({ args: rest, options: { role: { type: 'string' }, name: { type: 'string' }, config: { type: 'string' }, db: { type: 'string' } }, strict: true });
  const role = RoleSchema.safeParse(values.role);
  if (!role.success) throw new UsageError('--role must be one of agent, operator, admin, auditor');
  const name = TokenNameSchema.safeParse(values.name);
  if (!name.success) throw new UsageError('--name is required (letters, digits, . _ @ -)');
  const config = loadConfig(values.config);
  const { db, close } = await openDatabase(values.db ?? config.database.url);
  try {
    const created = await createToken(db, name.data, role.data, 'cli');
    console.log(created.token);
  } finally {
    await close();
  }
  return 0;
}

/** `interlock serve` and `interlock token create|revoke|rotate`. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.ts';
import { createToken, RoleSchema, TokenNameSchema } from '../auth/tokens.ts';
import { revokeToken, rotateToken } from '../lifecycle/tokens.ts';
import { unattendedStamper } from '../lifecycle/unattended-stamp.ts';
import { openDatabase } from '../store/db.ts';
import { startGateway } from '../server.ts';
import { UsageError } from './args.ts';

export const serveUsage = `  interlock serve [--config interlock.yaml] [--port N] [--host H] [--db URL]
      Start the gateway (embedded default: SQLite under ./var/, simulated roaster-1, L3).
  interlock token create --role agent|operator|admin|auditor --name NAME [--config F] [--db URL]
      Create a bearer token and print it (shown once). Names are unique ignoring case and width.
  interlock token revoke --name NAME [--config F] [--db URL]
      Revoke a token: it stops authenticating and its console sessions end.
  interlock token rotate --name NAME [--config F] [--db URL]
      Give a token a new secret and print it (shown once); the old one stops working.`;

export async function runServe(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
    },
    strict: true,
  });
  const config = loadConfig(values.config);
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--port must be an integer 0–65535');
    config.server.port = port;
  }
  if (values.host) config.server.host = values.host;
  if (values.db) config.database.url = values.db;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(config);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') {
      console.error(
        `interlock: ${config.server.host}:${config.server.port} is already in use; stop the other process or pass --port`,
      );
      return 1;
    }
    throw err;
  }
  if (gateway.bootstrapToken) {
    console.log(
      `\nFirst start: an admin token was created. It is shown once; store it now.\n\n  INTERLOCK_TOKEN=${gateway.bootstrapToken.token}\n`,
    );
  }
  console.log(
    `interlock listening on ${gateway.url}  (console: ${gateway.url}/console, API: ${gateway.url}/openapi.json, metrics: ${gateway.url}/metrics)`,
  );
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
  if (sub !== 'create' && sub !== 'revoke' && sub !== 'rotate')
    throw new UsageError(`usage:\n${serveUsage}`);
  const { values } = parseArgs({
    args: rest,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      config: { type: 'string' },
      db: { type: 'string' },
    },
    strict: true,
  });
  const name = TokenNameSchema.safeParse(values.name);
  if (!name.success) throw new UsageError('--name is required (letters, digits, . _ @ -)');
  const role = RoleSchema.safeParse(values.role);
  if (sub === 'create' && !role.success)
    throw new UsageError('--role must be one of agent, operator, admin, auditor');
  if (sub !== 'create' && values.role !== undefined)
    throw new UsageError(`token ${sub} takes no --role`);
  const config = loadConfig(values.config);
  // Token records made in an unattended window say so, as the gateway's would.
  const stamper = unattendedStamper(config.notifications.unattended, config.timezone);
  const { db, close } = await openDatabase(values.db ?? config.database.url, {
    ...(stamper ? { auditStamper: stamper } : {}),
  });
  // A running gateway in another process sees the change on its next request; its open
  // event streams notice at their next idle check (at most 15 s).
  const events = { publish: () => undefined };
  try {
    if (sub === 'create' && role.success)
      console.log((await createToken(db, name.data, role.data, 'cli')).token);
    else if (sub === 'rotate') console.log((await rotateToken(db, events, name.data, 'cli')).token);
    else if (sub === 'revoke')
      console.log(`revoked ${(await revokeToken(db, events, name.data, 'cli')).name}`);
  } finally {
    await close();
  }
  return 0;
}

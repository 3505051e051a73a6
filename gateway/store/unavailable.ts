/**
 * Recognizes "the database is not there" among driver errors, so the API can answer 503 with
 * Retry-After instead of a 500: PostgreSQL connection failures and shutdowns, a pool that
 * cannot connect, SQLite busy past its timeout.
 */

const NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
// SQLSTATE class 08 (connection exception), 57P01–57P03 (admin or crash shutdown, cannot connect
// now), 53300 (too many connections).
const PG_STATES = /^(08\d{3}|57P0[1-3]|53300)$/;
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|database is locked/i;

export function databaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (code && (NODE_CODES.has(code) || PG_STATES.test(code) || code === 'SQLITE_BUSY')) return true;
  if (MESSAGES.test(err.message)) return true;
  return databaseUnavailable(err.cause, depth + 1);
}

/** Small helpers shared by the CLI's commands. */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { InterlockError, ValidationError } from '../schema/errors.ts';
import { openDatabase, type OpenedDb } from '../store/db.ts';

/** readInput reads a file, or standard input when the path is `-`. */
export async function readInput(file: string): Promise<string> {
  return file === '-' ? text(process.stdin) : readFile(file, 'utf8');
}

/** Thrown for wrong command-line usage; exits 2. */
export class UsageError extends Error {}

/** `read()` with a bad flag value (a ValidationError naming the flag) as a usage error. */
export function flagValue<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ValidationError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * The database a gateway wrote, opened for reading: a path with nothing there is a usage error
 * (`hint` names the flags that choose it), not an empty log.
 */
export async function openGatewayDatabase(url: string, hint: string): Promise<OpenedDb> {
  try {
    return await openDatabase(url, { mustExist: true });
  } catch (err) {
    if (err instanceof InterlockError && err.code === 'not_found')
      throw new UsageError(`${err.message}: give the gateway's database (${hint})`);
    throw err;
  }
}

/** Small helpers shared by the CLI's commands. */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';

/** readInput reads a file, or standard input when the path is `-`. */
export async function readInput(file: string): Promise<string> {
  return file === '-' ? text(process.stdin) : readFile(file, 'utf8');
}

/** Thrown for wrong command-line usage; exits 2. */
export class UsageError extends Error {}

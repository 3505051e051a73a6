/** A connection the store's functions run on: the database, or one open transaction. */
import type { Transaction } from 'kysely';
import type { Db } from './db.ts';
import type { Database } from './types.ts';

export type Tx = Transaction<Database>;
export type Conn = Db | Tx;

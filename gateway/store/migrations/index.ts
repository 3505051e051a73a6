/**
 * The migration set, in order. Each migration receives the dialect so DDL can differ where it must.
 */
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as initial from './001-initial.ts';
import * as checkpoints from './002-checkpoints.ts';
import * as governance from './003-governance.ts';
import * as consoleTables from './004-console.ts';
import * as tokenNames from './005-token-names.ts';
import * as hotPathIndexes from './006-hot-path-indexes.ts';
import * as liveWindowIndexes from './007-live-window-indexes.ts';
import * as decisionState from './008-decision-state.ts';
import * as decisionWindow from './009-decision-window.ts';
import * as decisionInput from './010-decision-input.ts';
import * as decisionSigner from './011-decision-signer.ts';
import * as notifications from './012-notifications.ts';
import type { Dialect } from '../dialect.ts';

export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '001-initial': { up: (db: Kysely<unknown>) => initial.up(db, dialect) },
    '002-checkpoints': { up: (db: Kysely<unknown>) => checkpoints.up(db, dialect) },
    '003-governance': { up: (db: Kysely<unknown>) => governance.up(db, dialect) },
    '004-console': { up: (db: Kysely<unknown>) => consoleTables.up(db, dialect) },
    '005-token-names': { up: (db: Kysely<unknown>) => tokenNames.up(db, dialect) },
    '006-hot-path-indexes': { up: (db: Kysely<unknown>) => hotPathIndexes.up(db, dialect) },
    '007-live-window-indexes': { up: (db: Kysely<unknown>) => liveWindowIndexes.up(db, dialect) },
    '008-decision-state': { up: (db: Kysely<unknown>) => decisionState.up(db, dialect) },
    '009-decision-window': { up: (db: Kysely<unknown>) => decisionWindow.up(db, dialect) },
    '010-decision-input': { up: (db: Kysely<unknown>) => decisionInput.up(db, dialect) },
    '011-decision-signer': { up: (db: Kysely<unknown>) => decisionSigner.up(db, dialect) },
    '012-notifications': { up: (db: Kysely<unknown>) => notifications.up(db, dialect) },
  };
  return { getMigrations: async () => migrations };
}

/**
 * Facts stamped on every audit record a connection writes (today: whether it was made during a
 * declared unattended window). The stamper rides on the connection as a pass-through Kysely
 * plugin, so every transaction opened from it (lifecycle, governance, auth, the CLI) stamps
 * alike, without each of the many audit writers threading the configuration through.
 */
import type {
  Kysely,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import type { Database } from './types.ts';

// The database or a transaction (a Transaction is a Kysely); not conn.ts, which needs db.ts.
type Conn = Kysely<Database>;

export interface StampSubject {
  /** The record's target when its payload names one. */
  target: string | null;
  actionId: string | null;
  /** Epoch milliseconds. */
  at: number;
}

export interface AuditStamper {
  /** Whether a record about this subject, written on conn, is made while nobody is watching. */
  unattended(conn: Conn, subject: StampSubject): Promise<boolean>;
}

/** Carries a stamper; changes no query and no result. */
export class AuditStampCarrier implements KyselyPlugin {
  readonly stamper: AuditStamper;

  constructor(stamper: AuditStamper) {
    this.stamper = stamper;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** The stamper the connection carries, if any. */
export function auditStamperOf(conn: Conn): AuditStamper | undefined {
  for (const p of conn.getExecutor().plugins) if (p instanceof AuditStampCarrier) return p.stamper;
  return undefined;
}

/** The target of an action, for stampers whose windows name targets. */
export async function targetOfAction(conn: Conn, id: string): Promise<string | undefined> {
  const row = await conn
    .selectFrom('actions')
    .select('target')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.target;
}

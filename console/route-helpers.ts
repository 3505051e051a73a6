/** What the console's route modules share: the app type, the id check and the decider check. */
import type { Hono } from 'hono';
import { z } from 'zod';
import { InterlockError } from '../gateway/schema/errors.ts';
import { MAY, may } from '../gateway/schema/permissions.ts';
import type { Principal } from '../gateway/schema/principal.ts';
import type { ConsoleEnv } from './security.ts';

export type ConsoleApp = Hono<ConsoleEnv>;

const Id = z.string().min(1).max(100);

/** An action or batch id from the path: 1–100 characters, else a 422 naming `id`. */
export function actionId(raw: string): string {
  const r = Id.safeParse(raw);
  if (!r.success) {
    throw new InterlockError('validation_failed', 'the action id must be 1–100 characters', {
      field: 'id',
    });
  }
  return r.data;
}

/** Refuses (403) a principal the permissions table does not let administer. */
export function requireAdmin(p: Principal): void {
  if (!may(p.role, 'administer')) {
    throw new InterlockError(
      'forbidden',
      `this needs role ${MAY.administer.join(' or ')}; ${p.id} is ${p.role}`,
    );
  }
}

/** Refuses (403) a principal the permissions table does not let decide. */
export function requireDecider(p: Principal): void {
  if (!may(p.role, 'decide')) {
    throw new InterlockError(
      'forbidden',
      `this needs role ${MAY.decide.join(' or ')}; ${p.id} is ${p.role}`,
    );
  }
}

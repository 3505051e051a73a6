/** Every status an action can be in; the transitions between them are lifecycle/states.ts. */
import { z } from 'zod';

export const STATUSES = [
  'PROPOSED',
  'DENIED',
  'PENDING_APPROVAL',
  'PENDING_VETO',
  'APPROVED',
  'REJECTED',
  'EXPIRED',
  'VETOED',
  'CANCELLED',
  'BLOCKED',
  'EXECUTING',
  'COMPLETED',
  'FAILED',
  'ABORTED',
  'UNKNOWN',
] as const;

export type Status = (typeof STATUSES)[number];

export const StatusSchema = z.enum(STATUSES);

/**
 * The shapes the console's pages render. Assembled by console/data.ts and console/session.ts,
 * read by the views: kept here so the views depend on the model, never on the assemblers.
 */
import type { BatchView } from '../../gateway/lifecycle/batches.ts';
import type { estopStatus } from '../../gateway/lifecycle/estop.ts';
import type { ActionView, DecisionView } from '../../gateway/lifecycle/views.ts';
import type { CatalogEntry } from '../../gateway/schema/catalog.ts';
import type { ConfidencePill } from './confidence.ts';
import type { RecentFilter } from './recent-query.ts';
import type { Severity } from './severity.ts';
import type { TimelineEvent } from './timeline.ts';

export interface QueueItem {
  action: ActionView;
  label: string;
  headline: string;
  /** State, impact and next step without the label, for the queue row. */
  line: string;
  /** The first reason the gateway gave for the status, clipped for a row; none while pending. */
  reason: string | undefined;
  /** Recorded as a recommendation (L1/L2) rather than run. */
  recommendation: boolean;
  severity: Severity;
  unresolved: boolean;
  acknowledged: boolean;
  confidence: ConfidencePill;
  /** What this viewer may do with it: the console never offers an operator their own proposal. */
  can: {
    approve: boolean;
    reject: boolean;
    veto: boolean;
    cancel: boolean;
    abort: boolean;
    acknowledge: boolean;
  };
  ownProposal: boolean;
}

/** Unresolved incidents of the same kind, target and first reason, folded into one row. */
export interface IncidentGroup {
  /** Stable for the same kind, target and reason: the console keys the row by it. */
  key: string;
  kind: string;
  target: string;
  reason: string | undefined;
  /** Newest first. */
  items: QueueItem[];
  /** Epoch ms of the oldest and the newest. */
  first: number;
  last: number;
}

export interface QueueData {
  needsYou: QueueItem[];
  incidents: IncidentGroup[];
  recent: QueueItem[];
  /** The cursor of the next (older) page of Recent, or null on the last page. */
  nextCursor: string | null;
  filter: RecentFilter;
  /** More pending actions or incidents exist than were read. */
  truncated: { pending: boolean; incidents: boolean };
}

export interface AuditLine {
  seq: number;
  ts: string;
  type: string;
  actor: string;
  payload: Record<string, unknown>;
}

export interface CardData {
  item: QueueItem;
  /** The viewer may resolve breakers (administrators). */
  canResolve: boolean;
  /** The action has a checkpoint, its target a rollback action, and the viewer may decide. */
  canProposeRollback: boolean;
  decision: DecisionView;
  entry: CatalogEntry | undefined;
  trail: AuditLine[];
  batch: BatchView | undefined;
  batchItems: QueueItem[];
  target:
    | {
        id: string;
        driver: string;
        connected: boolean;
        rollback: boolean;
        state: Record<string, unknown> | { error: string };
        /** Breakers open on the target: a pause or a lowered level may be why it waits. */
        breakers: TargetStatus['breakers'];
      }
    | undefined;
  checkpoint: string | undefined;
}

export type { TargetStatus } from '../../gateway/governance/target-status.ts';
import type { TargetStatus } from '../../gateway/governance/target-status.ts';

export interface StatusData {
  estop: Awaited<ReturnType<typeof estopStatus>>;
  pending: number;
  targets: TargetStatus[];
  /** The policy's level order, lowest first, and the levels the console's buttons lower to. */
  levels: string[];
  safeMode: string | undefined;
  pauseLevel: string | undefined;
  /** Each configured notification sink's deliveries. */
  notifications: {
    sink: string;
    pending: number;
    delivered: number;
    dead: number;
    lastError: string | null;
  }[];
}

export interface TimelineData {
  from: number;
  to: number;
  minutes: number;
  events: TimelineEvent[];
}

export type { Session } from '../../gateway/schema/principal.ts';

/** What a policy impact analysis reports: shapes shared by the replay, the API and the console. */
import type { Effect } from './decision.ts';
import type { DecisionInput } from './decision-input.ts';
import type { SourceLocation } from './errors.ts';

/** What a decision settled, as far as impact is concerned. */
export interface Verdict {
  effect: Effect;
  stage: string;
  rules: string[];
  /** Approvals a hold needs (0 for allow and deny). */
  approvals: number;
  /** Who may approve a hold (empty for allow and deny). */
  roles: string[];
  /** A hold's veto window in seconds (0 when none). */
  vetoSeconds: number;
  /** Allowed, but recorded as a recommendation only (L1, L2). */
  recommendation: boolean;
}

export type Direction = 'loosened' | 'tightened' | 'changed';

export interface ImpactChange {
  seq: number;
  at: string;
  purpose: string;
  decisionId: string;
  actionId: string | null;
  kind: string;
  target: string;
  direction: Direction;
  before: Verdict;
  after: Verdict & { reasons: string[] };
  input: DecisionInput;
}

export interface DirectionCounts {
  loosened: number;
  tightened: number;
  changed: number;
}

export interface ImpactReport {
  candidate: { digest: string | null };
  /**
   * What the candidate is compared with: a baseline bundle replayed on the same inputs, or (null)
   * the decisions as recorded, whatever policy made them.
   */
  baseline: { digest: string | null } | null;
  /** Decisions where the baseline's replay differs from the recorded decision (a reload since). */
  drift: number;
  /**
   * What the replay cannot show: the candidate changes policy data the gateway used to build the
   * recorded inputs (levels, rate limits, invariant counts, state fields, ramps).
   */
  caveats: string[];
  /** The sequence numbers actually read (null when the window held no decision). */
  window: { firstSeq: number | null; lastSeq: number | null };
  /** Decision records in the window (up to the limit). */
  decisions: number;
  /** The window held more records than the limit allowed. */
  truncated: boolean;
  replayed: number;
  unchanged: number;
  totals: DirectionCounts;
  /** Records that could not be replayed, by why. */
  notReplayable: {
    /** Recorded before inputs were kept, or the decision row is missing. */
    noInput: number;
    /** The input was over the size cap and kept by digest only. */
    overCap: number;
    /** The kept input does not parse as a decision input. */
    invalid: number;
  };
  /**
   * Inputs whose sha256 differs from the one the signed audit record carries, or that are gone
   * although the record says they were kept.
   */
  mismatched: { count: number; first: { seq: number; decisionId: string }[] };
  byTransition: Record<string, number>;
  byKind: Record<string, DirectionCounts>;
  byTarget: Record<string, DirectionCounts>;
  /** The first N changes of each direction, in log order, with their inputs. */
  examples: Record<Direction, ImpactChange[]>;
  durationMs: number;
}

/** The gate over a report: whether the change may land, and why not. */
export interface ImpactGate {
  ok: boolean;
  problems: string[];
}

/** An analysis inside the gateway: the report, or why the candidate did not compile. */
export type LiveImpact =
  | { ok: true; report: ImpactReport & { gate: ImpactGate } }
  | {
      ok: false;
      failure: {
        ok: false;
        error: { code: string; message: string; locations: SourceLocation[] };
        digest: string | null;
        durationMs: number;
      };
    };

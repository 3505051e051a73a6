/** The handoff report's shape (report/handoff.ts builds it; the CLI, the console and sinks show it). */

export interface ReportWindow {
  from: string;
  to: string;
}

export interface ReportAction {
  id: string;
  kind: string | null;
  target: string | null;
  proposer: string | null;
  /** Proposed inside the window (false: an earlier action that moved inside it). */
  proposed_in_window: boolean;
  /** Its status at the window's end, as the window's records leave it. */
  status: string | null;
  rollback_of: string | null;
  approved_by: string[];
  unattended: boolean;
}

export interface Incident {
  kind: 'breaker' | 'execution_failed' | 'emergency_stop' | 'readiness';
  /** null: it began before the window, which holds only its recovery. */
  at: string | null;
  target: string | null;
  summary: string;
  /** When it was resolved or rearmed inside the window; null while it stood at the window's end. */
  recovered_at: string | null;
  recovered_by: string | null;
  unattended: boolean;
}

export interface HandoffReport {
  window: ReportWindow;
  records: number;
  first_seq: number | null;
  last_seq: number | null;
  actions: ReportAction[];
  by_status: Record<string, number>;
  incidents: Incident[];
  rollbacks: {
    action_id: string;
    of_action: string | null;
    target: string | null;
    status: string | null;
  }[];
  level_changes: {
    at: string;
    target: string;
    from: string;
    to: string;
    by: string;
    reason: string | null;
  }[];
  breaker_trips: {
    at: string;
    rule: string;
    target: string;
    severity: string;
    resolved_at: string | null;
  }[];
  emergency_stops: {
    /** null: engaged before the window, rearmed inside it. */
    at: string | null;
    by: string;
    reason: string;
    rearmed_at: string | null;
    rearmed_by: string | null;
  }[];
  approvals: {
    at: string;
    action_id: string;
    by: string;
    verdict: 'approved' | 'rejected' | 'vetoed';
  }[];
}

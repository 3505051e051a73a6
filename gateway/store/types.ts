/** The database as Kysely sees it. Timestamps are epoch milliseconds; JSON is stored as text. */

export interface ActionsTable {
  id: string;
  kind: string;
  target: string;
  params: string;
  rationale: string | null;
  confidence: number | null;
  proposer: string;
  idempotency_key: string | null;
  /** sha256 of the canonical proposal body, to tell an honest retry from a key reuse. */
  request_digest: string;
  /** sha256 of canonical {kind, target, params}: what an approval is bound to. */
  action_digest: string;
  status: string;
  status_reason: string | null;
  level: string;
  batch_id: string | null;
  batch_seq: number | null;
  approvals_required: number;
  approval_roles: string;
  expires_at: number | null;
  veto_deadline: number | null;
  created_at: number;
  updated_at: number;
  approved_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  executor_id: string | null;
  lease_until: number | null;
  attempts: number;
  outcome: string | null;
}

export interface DecisionsTable {
  id: string;
  action_id: string | null;
  purpose: string;
  effect: string;
  stage: string;
  level: string;
  reasons: string;
  rules: string;
  approval: string | null;
  invariants: string;
  retry_after_seconds: number | null;
  recommendation: number;
  policy_digest: string | null;
  /** Who sealed the bundle (`policy.requireSignature`); null otherwise or before 011. */
  policy_signer: string | null;
  /** JSON: the target state the decision was made on; null before migration 008. */
  state_used: string | null;
  /** Canonical JSON: the whole input decide() received; null over the cap or before 010. */
  input: string | null;
  timings: string;
  created_at: number;
}

export interface ApprovalsTable {
  id: string;
  action_id: string;
  actor: string;
  role: string;
  verdict: string;
  action_digest: string;
  reason: string | null;
  created_at: number;
}

export interface BatchesTable {
  id: string;
  proposer: string;
  status: string;
  size: number;
  rationale: string | null;
  created_at: number;
}

export interface AutonomyTable {
  target: string;
  level: string;
  reason: string;
  updated_by: string;
  updated_at: number;
}

export interface TokensTable {
  id: string;
  name: string;
  /** nameKey(name): unique; null only before migration 005 ran. */
  name_key: string | null;
  role: string;
  hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface EstopTable {
  id: number;
  engaged: number;
  reason: string | null;
  actor: string | null;
  updated_at: number;
}

export interface AuditLogTable {
  seq: number;
  ts: string;
  type: string;
  action_id: string | null;
  actor: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface AuditCheckpointsTable {
  idx: number;
  from_seq: number;
  to_seq: number;
  root: string;
  chain_head: string;
  body: string;
  bundle: string;
  signer: string;
  created_at: number;
}

export interface BreakerRulesTable {
  name: string;
  enabled: number;
  condition: string;
  window_ms: number;
  action: string;
  severity: string;
  description: string;
  updated_by: string;
  updated_at: number;
}

export interface BreakerEventsTable {
  id: string;
  rule: string;
  target: string;
  action: string;
  severity: string;
  kind: string | null;
  metrics: string;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: string | null;
}

export interface PausedKindsTable {
  target: string;
  kind: string;
  event_id: string;
  created_at: number;
}

export interface AttestationsTable {
  id: string;
  item: string;
  target: string;
  actor: string;
  role: string;
  statement: string;
  bundle: string;
  created_at: number;
}

export interface ExpansionProposalsTable {
  id: string;
  target: string;
  from_level: string;
  to_level: string;
  body: string;
  required_roles: string;
  approvals: string;
  status: string;
  created_at: number;
  decided_at: number | null;
}

export interface GovernanceReportsTable {
  id: string;
  target: string;
  report: string;
  created_at: number;
}

export interface Database {
  actions: ActionsTable;
  decisions: DecisionsTable;
  approvals: ApprovalsTable;
  batches: BatchesTable;
  autonomy_levels: AutonomyTable;
  tokens: TokensTable;
  estop: EstopTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
  breaker_rules: BreakerRulesTable;
  breaker_events: BreakerEventsTable;
  paused_kinds: PausedKindsTable;
  attestations: AttestationsTable;
  expansion_proposals: ExpansionProposalsTable;
  governance_reports: GovernanceReportsTable;
  console_sessions: ConsoleSessionsTable;
  acknowledgements: AcknowledgementsTable;
  notification_outbox: NotificationOutboxTable;
  notification_deliveries: NotificationDeliveriesTable;
}

export interface ConsoleSessionsTable {
  id: string;
  actor: string;
  role: string;
  csrf: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ended_at: number | null;
  /** sha256 of the token the session came from: a rotated or revoked token ends it. */
  token_hash: string | null;
}

export interface AcknowledgementsTable {
  action_id: string;
  actor: string;
  note: string | null;
  created_at: number;
}

export interface NotificationOutboxTable {
  id: string;
  event: string;
  audit_seq: number | null;
  action_id: string | null;
  at: number;
  fanned_out: number;
  body: string | null;
}

export interface NotificationDeliveriesTable {
  event_id: string;
  sink: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  next_at: number;
  claimed_until: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

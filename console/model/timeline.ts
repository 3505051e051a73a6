/**
 * The incident timeline: audit records sorted into the radio document's lanes: decisions,
 * incidents, interventions (people acting) and recovery. Each event keeps its seq so the
 * timeline can link back to the record.
 */

export type Lane = 'decision' | 'incident' | 'intervention' | 'recovery';

export const LANES: readonly {
  lane: Lane;
  title: string;
  shape: 'circle' | 'diamond' | 'square' | 'check';
}[] = [
  { lane: 'decision', title: 'Decisions', shape: 'circle' },
  { lane: 'incident', title: 'Incidents', shape: 'diamond' },
  { lane: 'intervention', title: 'Interventions', shape: 'square' },
  { lane: 'recovery', title: 'Recovery', shape: 'check' },
];

export interface TimelineRecord {
  seq: number;
  ts: string;
  type: string;
  actor: string;
  actionId: string | null;
  payload: Record<string, unknown>;
}

export interface TimelineEvent {
  seq: number;
  at: number;
  lane: Lane;
  type: string;
  actor: string;
  actionId: string | null;
  summary: string;
}

const SYSTEM_ACTORS = new Set(['policy', 'executor', 'system', 'sweeper', 'governance']);
const PEOPLE_VERBS = new Set([
  'action.rejected',
  'action.vetoed',
  'action.cancelled',
  'action.aborted',
  'approval.granted',
  'action.acknowledged',
  'autonomy.changed',
  'estop.engaged',
  'batch.cancelled',
  'breaker.rule_changed',
]);

/** Which lane a record belongs to; undefined for bookkeeping (tokens, logins, checkpoints). */
export function laneOf(r: TimelineRecord): Lane | undefined {
  const t = r.type;
  if (t.startsWith('decision.')) return r.payload.effect === 'deny' ? 'incident' : 'decision';
  if (
    t === 'driver.error' ||
    t === 'breaker.tripped' ||
    t === 'action.failed' ||
    t === 'action.unknown' ||
    t === 'action.blocked' ||
    t === 'action.expired'
  )
    return 'incident';
  if (t === 'estop.rearmed' || t === 'breaker.resolved') return 'recovery';
  if (t === 'estop.safe_state') return 'recovery';
  if (PEOPLE_VERBS.has(t) && !SYSTEM_ACTORS.has(r.actor)) return 'intervention';
  if (t === 'action.cancelled' || t === 'action.aborted') return 'incident';
  if (
    t === 'action.proposed' ||
    t === 'action.completed' ||
    t === 'action.executing' ||
    t === 'action.approved' ||
    t === 'action.pending_approval' ||
    t === 'action.pending_veto'
  )
    return 'decision';
  return undefined;
}

function summarize(r: TimelineRecord): string {
  const p = r.payload;
  const reason = typeof p.reason === 'string' ? `: ${p.reason}` : '';
  switch (r.type) {
    case 'estop.engaged':
      return `Emergency stop engaged by ${r.actor}${reason}`;
    case 'estop.rearmed':
      return `Rearmed by ${r.actor}${reason}`;
    case 'estop.safe_state':
      return `Targets in safe state (${String(p.safe_state_ms ?? '?')} ms)`;
    case 'autonomy.changed':
      return `${String(p.target)}: ${String(p.from)} → ${String(p.to)} by ${r.actor}${reason}`;
    case 'breaker.tripped':
      return `Breaker ${String(p.rule ?? '')} tripped on ${String(p.target ?? '')}`;
    case 'breaker.resolved':
      return `Breaker resolved by ${r.actor}`;
    case 'driver.error':
      return `Driver error on ${String(p.target ?? '')}: ${String(p.error ?? '')}`;
    case 'approval.granted':
      return `Approved by ${r.actor} (${String(p.count)}/${String(p.required)})`;
    default:
      if (r.type.startsWith('decision.'))
        return `Decision ${String(p.effect)} at ${String(p.stage)}${Array.isArray(p.reasons) && p.reasons.length ? `: ${String(p.reasons[0])}` : ''}`;
      return `${r.type.replace('action.', 'Action ')} by ${r.actor}${reason}`;
  }
}

export function timelineEvents(records: readonly TimelineRecord[]): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const r of records) {
    const lane = laneOf(r);
    if (!lane) continue;
    out.push({
      seq: r.seq,
      at: Date.parse(r.ts),
      lane,
      type: r.type,
      actor: r.actor,
      actionId: r.actionId,
      summary: summarize(r),
    });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Axis ticks: every 30 s for windows up to 15 minutes (the document's incident spacing), coarser
 * beyond.
 */
/**
 * A tick's label from its "HH:MM:SS" clock text: minutes when every tick falls on a minute,
 * seconds too when the ticks are 30 s apart (else two ticks a minute would read the same).
 */
export function tickLabel(clockText: string, stepMs: number): string {
  return stepMs % 60_000 === 0 ? clockText.slice(0, 5) : clockText;
}

export function ticks(from: number, to: number): number[] {
  const span = to - from;
  const step = span <= 15 * 60_000 ? 30_000 : span <= 2 * 3_600_000 ? 5 * 60_000 : 30 * 60_000;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

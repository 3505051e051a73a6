/**
 * The readiness assessment: the checklist (governance/readiness.yaml) scored for one target,
 * from the gateway's own records and from signed, audited attestations by people.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseYaml } from '../schema/yaml.ts';
import { z } from 'zod';
import { appendAudit } from '../audit/append.ts';
import { canonicalJson } from '../schema/canonical-json.ts';
import { verifyChain } from '../audit/verify-chain.ts';
import type { Principal } from '../auth/tokens.ts';
import { durationMs } from '../invariants/check.ts';
import { inTx, type Deps } from '../lifecycle/deps.ts';
import { describeIssues, fieldIssues, InterlockError, ValidationError } from '../schema/errors.ts';
import type { Signer } from '../signing/signer.ts';
import { windowMetrics } from './window.ts';
import { countEnabledRules } from '../store/breakers.ts';
import { attestationsSince, firstActionAt, insertAttestation } from '../store/governance.ts';
import { storedLevelRow } from '../store/levels.ts';

const ItemSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/),
    category: z.enum(['technical', 'process', 'organizational']),
    group: z.string(),
    label: z.string(),
    points: z.number().int().positive(),
    required: z.boolean().default(false),
    metric: z
      .strictObject({
        name: z.string(),
        op: z.enum(['<', '<=', '>', '>=', '==']),
        value: z.number(),
      })
      .optional(),
    attest: z
      .strictObject({ roles: z.array(z.enum(['admin', 'operator', 'auditor', 'agent'])).min(1) })
      .optional(),
  })
  .refine(
    (i) => (i.metric === undefined) !== (i.attest === undefined),
    'an item is either computed (metric) or attested (attest)',
  );

export const ChecklistSchema = z.strictObject({
  window: z.string().regex(/^\d+(ms|s|m|h|d)$/),
  attestation_valid_days: z.number().int().positive(),
  thresholds: z.strictObject({
    ready: z.number().min(0).max(1),
    almost_ready: z.number().min(0).max(1),
  }),
  expansion: z.strictObject({
    required_roles: z.array(z.enum(['admin', 'operator', 'auditor'])).min(2),
    min_days_at_level: z.number().int().nonnegative(),
  }),
  checklist: z.array(ItemSchema).min(1),
});
export type Checklist = z.infer<typeof ChecklistSchema>;

export function loadChecklist(file: string): Checklist {
  const parsed = ChecklistSchema.safeParse(parseYaml(readFileSync(file, 'utf8'), file));
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error.issues, [], '(file)');
    throw new ValidationError(`${file}: ${describeIssues(issues)}`, issues);
  }
  const ids = parsed.data.checklist.map((i) => i.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup)
    throw new ValidationError(`${file}: item ${dup} is listed twice`, [
      { field: 'checklist', message: `duplicate id ${dup}` },
    ]);
  return parsed.data;
}

export interface ReadinessItem {
  id: string;
  category: string;
  group: string;
  label: string;
  points: number;
  earned: number;
  required: boolean;
  passed: boolean;
  source: 'metric' | 'attestation';
  /** The measured value, or who attested and when. */
  evidence: Record<string, unknown>;
}

export interface ReadinessReport {
  target: string;
  assessedAt: string;
  score: number;
  max: number;
  /** score / max, 0–1. */
  ratio: number;
  status: 'ready' | 'almost_ready' | 'needs_work';
  categories: Record<string, { earned: number; max: number }>;
  blockers: string[];
  items: ReadinessItem[];
  metrics: Record<string, number | null>;
}

const compare = (a: number, op: string, b: number): boolean =>
  op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : a === b;

export async function assessReadiness(
  deps: Deps,
  checklist: Checklist,
  target: string,
): Promise<ReadinessReport> {
  if (!deps.targets.has(target))
    throw new InterlockError('not_found', `no target ${target}`, { field: 'target' });
  const now = deps.now();
  const w = await windowMetrics(deps.db, target, now - durationMs(checklist.window)!);
  const level = await storedLevelRow(deps.db, target);
  const since = level ? Number(level.updated_at) : ((await firstActionAt(deps.db, target)) ?? now);
  const breakers = await countEnabledRules(deps.db);
  const chain = await verifyChain(deps.db);
  const metrics: Record<string, number | null> = {
    days_at_level: Math.floor((now - since) / 86_400_000),
    success_rate: w.executions ? w.success_rate : null,
    approval_rate: w.approval_rate,
    rollback_rate: w.executions ? w.rollback_rate : null,
    critical_incidents: w.critical_incidents,
    breakers_enabled: breakers,
    estop_drills: w.estop_drills,
    audit_chain_intact: chain.ok ? 1 : 0,
    executions: w.executions,
  };

  const validSince = now - checklist.attestation_valid_days * 86_400_000;
  const attestations = await attestationsSince(deps.db, target, validSince);

  const items: ReadinessItem[] = checklist.checklist.map((item) => {
    let passed = false;
    let evidence: Record<string, unknown> = {};
    if (item.metric) {
      const value = metrics[item.metric.name];
      passed =
        value !== null && value !== undefined && compare(value, item.metric.op, item.metric.value);
      evidence = {
        metric: item.metric.name,
        value: value ?? null,
        wanted: `${item.metric.op} ${item.metric.value}`,
      };
    } else {
      const a = attestations.find(
        (x) => x.item === item.id && item.attest!.roles.includes(x.role as never),
      );
      passed = a !== undefined;
      evidence = a
        ? {
            attestedBy: a.actor,
            role: a.role,
            at: new Date(Number(a.created_at)).toISOString(),
            attestation: a.id,
          }
        : { wanted: `an attestation by ${item.attest!.roles.join(' or ')}` };
    }
    return {
      id: item.id,
      category: item.category,
      group: item.group,
      label: item.label,
      points: item.points,
      earned: passed ? item.points : 0,
      required: item.required,
      passed,
      source: item.metric ? 'metric' : 'attestation',
      evidence,
    };
  });
  const max = items.reduce((n, i) => n + i.points, 0);
  const score = items.reduce((n, i) => n + i.earned, 0);
  const ratio = max ? score / max : 0;
  const blockers = items.filter((i) => i.required && !i.passed).map((i) => i.id);
  const categories: ReadinessReport['categories'] = {};
  for (const i of items) {
    const c = (categories[i.category] ??= { earned: 0, max: 0 });
    c.earned += i.earned;
    c.max += i.points;
  }
  const status =
    ratio >= checklist.thresholds.ready && blockers.length === 0
      ? 'ready'
      : ratio >= checklist.thresholds.almost_ready
        ? 'almost_ready'
        : 'needs_work';
  return {
    target,
    assessedAt: new Date(now).toISOString(),
    score,
    max,
    ratio: Math.round(ratio * 10000) / 10000,
    status,
    categories,
    blockers,
    items,
    metrics,
  };
}

export const AttestationBodySchema = z.strictObject({
  target: z.string().min(1).max(128),
  item: z.string().min(1).max(64),
  statement: z.string().min(1).max(2000),
});

/** Records a person's attestation, signed by the gateway's key and chained into the audit log. */
export async function attest(
  deps: Deps,
  checklist: Checklist,
  signer: Signer,
  principal: Principal,
  body: z.infer<typeof AttestationBodySchema>,
) {
  if (!deps.targets.has(body.target))
    throw new InterlockError('not_found', `no target ${body.target}`, { field: 'target' });
  const item = checklist.checklist.find((i) => i.id === body.item);
  if (!item)
    throw new ValidationError(`no checklist item ${body.item}`, [
      { field: 'item', message: 'not in the readiness checklist' },
    ]);
  if (!item.attest)
    throw new ValidationError(`${body.item} is computed from metrics, not attested`, [
      { field: 'item', message: 'computed, not attested' },
    ]);
  if (!item.attest.roles.includes(principal.role as never))
    throw new InterlockError(
      'forbidden',
      `attesting ${item.id} needs role ${item.attest.roles.join(' or ')} (you are ${principal.role})`,
    );
  const now = deps.now();
  const id = randomUUID();
  const record = {
    id,
    item: item.id,
    target: body.target,
    actor: principal.id,
    role: principal.role,
    statement: body.statement,
    at: new Date(now).toISOString(),
  };
  const bundle = await signer.signBlob(Buffer.from(canonicalJson(record)));
  await inTx(deps, async (trx) => {
    await insertAttestation(trx, {
      id,
      item: item.id,
      target: body.target,
      actor: principal.id,
      role: principal.role,
      statement: body.statement,
      bundle: JSON.stringify(bundle),
      created_at: now,
    });
    await appendAudit(trx, {
      type: 'readiness.attested',
      actor: principal.id,
      at: now,
      payload: {
        attestation: id,
        item: item.id,
        target: body.target,
        role: principal.role,
        statement: body.statement,
      },
    });
  });
  return { ...record, bundle };
}

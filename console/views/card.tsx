/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The action card (detail drawer): everything needed to decide now and to explain the decision
 * later.
 */
import type { CardData } from '../model/view-data.ts';
import { ConfidenceBadge, SeverityBadge, StatusChip } from './badges.tsx';
import { Controls } from './queue.tsx';
import { clock, dateTime, duration, pretty } from './format.ts';
import { BreakerCard } from './status.tsx';

function Field({ name, children }: { name: string; children: unknown }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Timing({ d, tz }: { d: CardData; tz: string }) {
  const a = d.item.action;
  const span = (from: string | null, to: string | null) =>
    from && to ? duration(Date.parse(to) - Date.parse(from)) : '—';
  return (
    <dl class="facts">
      <Field name="Decided in">{`${d.decision.timings.totalUs} µs (policy ${d.decision.timings.evaluateUs} µs)`}</Field>
      <Field name="Proposed">{dateTime(a.createdAt, tz)}</Field>
      <Field name="Waited for approval">{span(a.createdAt, a.approvedAt)}</Field>
      <Field name="Started">{dateTime(a.startedAt, tz)}</Field>
      <Field name="Ran for">{span(a.startedAt, a.finishedAt)}</Field>
      <Field name="Approval expires">{dateTime(a.expiresAt, tz)}</Field>
      <Field name="Veto window ends">{dateTime(a.vetoDeadline, tz)}</Field>
    </dl>
  );
}

function Rollback({ d }: { d: CardData }) {
  if (!d.target?.rollback) {
    return (
      <p>
        This target's driver ({d.target?.driver ?? 'unknown'}) keeps no checkpoints: there is
        nothing to roll back to. Propose a corrective action instead.
      </p>
    );
  }
  if (!d.checkpoint) {
    return (
      <p>The driver keeps checkpoints; none was taken for this action because it has not run.</p>
    );
  }
  return (
    <p>
      Checkpoint taken just before this action ran: <code class="checkpoint">{d.checkpoint}</code>{' '}
      <button
        type="button"
        class="btn-quiet btn-small"
        data-copy={d.checkpoint}
        aria-label={`Copy checkpoint ${d.checkpoint}`}
      >
        Copy
      </button>
      . A rollback is an action like any other: it is proposed in your name and decided by policy.{' '}
      {d.canProposeRollback ? (
        <button
          type="button"
          class="btn-quiet"
          data-act="propose-rollback"
          data-id={d.item.action.id}
          data-label={`Roll ${d.item.action.target} back to ${d.checkpoint}`}
        >
          Propose rollback to this checkpoint
        </button>
      ) : null}
    </p>
  );
}

export function Card({ d, tz }: { d: CardData; tz: string }) {
  const a = d.item.action;
  return (
    <article
      class={`card sev-${d.item.severity.toLowerCase()}`}
      data-id={a.id}
      data-status={a.status}
      aria-labelledby="card-title"
    >
      <CardHeader d={d} />

      <ActionFacts d={d} />

      <Outcome d={d} />

      <OutputSection outcome={a.outcome} />
      <ToolResultSection outcome={a.outcome} />

      <section aria-labelledby="sec-why">
        <h3 id="sec-why">Rationale</h3>
        <p class="rationale">{a.rationale ?? 'The proposer gave no rationale.'}</p>
      </section>

      <RulePath d={d} />

      {d.target?.breakers.length ? (
        <section aria-labelledby="sec-breakers">
          <h3 id="sec-breakers">Breakers open on {d.target.id}</h3>
          {d.target.breakers.map((b) => (
            <BreakerCard b={b} tz={tz} canResolve={d.canResolve} />
          ))}
        </section>
      ) : null}

      <AffectedTarget d={d} />

      <Constraints d={d} />

      <Invariants d={d} />

      <DecisionInputs d={d} />

      <section aria-labelledby="sec-timing">
        <h3 id="sec-timing">Timing</h3>
        <Timing d={d} tz={tz} />
      </section>

      <BatchMembers d={d} />

      <section aria-labelledby="sec-rollback">
        <h3 id="sec-rollback">Rollback</h3>
        <Rollback d={d} />
      </section>

      <AuditTrail d={d} tz={tz} />
    </article>
  );
}

/** The badges, the title, why it is where it is, and what this viewer can do. */
function CardHeader({ d }: { d: CardData }) {
  const a = d.item.action;
  return (
    <header>
      {/* Close sits alone at the top, far from the buttons that change the action. */}
      <button
        type="button"
        class="btn-quiet card-close"
        data-close-drawer
        aria-label="Close the card"
      >
        Close
      </button>
      <p class="badges">
        <SeverityBadge severity={d.item.severity} />{' '}
        <StatusChip status={a.status} recommendation={d.item.recommendation} />{' '}
        <ConfidenceBadge pill={d.item.confidence} />
      </p>
      <h2 id="card-title" tabindex={-1}>
        {d.item.label}
      </h2>
      <p class="headline">{d.item.headline}</p>
      {a.statusReason ? (
        <p class="reason">
          Reason: <span class="status-reason">{a.statusReason}</span>
        </p>
      ) : null}
      <p class="controls-line">
        <Controls item={d.item} />
        {d.item.can.cancel ? (
          <button
            type="button"
            class="btn-quiet"
            data-act="cancel"
            data-id={a.id}
            data-label={d.item.label}
          >
            Cancel action
          </button>
        ) : null}
        {d.item.can.abort ? (
          <button
            type="button"
            class="btn-danger"
            data-act="abort"
            data-id={a.id}
            data-label={d.item.label}
          >
            Abort
          </button>
        ) : null}
      </p>
      {d.item.ownProposal ? (
        <p class="own-note">You proposed this action, so you cannot approve it.</p>
      ) : null}
    </header>
  );
}

const show = (v: unknown): string => (v === undefined ? '—' : JSON.stringify(v));

/**
 * The state the decision was made on, the state just before and just after the write, and the
 * state now, field by field; the fields the write changed are marked in words, not colour only.
 */
function Outcome({ d }: { d: CardData }) {
  const a = d.item.action;
  const o = a.outcome ?? {};
  const obj = (v: unknown): Record<string, unknown> | undefined =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const used = d.decision.stateUsed;
  const before = obj(o.state_before);
  const after = obj(o.state_after);
  const now = d.target && !('error' in d.target.state) ? d.target.state : undefined;
  const columns = [
    ['Decision used', used],
    ['Before the write', before],
    ['After the write', after],
    ['Now', now],
  ] as const;
  const keys = [...new Set(columns.flatMap(([, s]) => (s ? Object.keys(s) : [])))].sort();
  const changed = keys.filter(
    (k) => before && after && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  return (
    <section aria-labelledby="sec-outcome">
      <h3 id="sec-outcome">Outcome</h3>
      {typeof o.result === 'string' ? (
        <p class="outcome-line">
          Result <strong>{o.result}</strong>
          {typeof o.attempts === 'number' ? ` after ${o.attempts} attempt(s)` : ''}
          {typeof o.message === 'string' ? `: ${o.message}` : ''}.{' '}
          {before && after
            ? changed.length
              ? `Changed: ${changed.map((k) => `${k} ${show(before[k])} → ${show(after[k])}`).join(', ')}.`
              : 'The target reports no field changed.'
            : ''}
        </p>
      ) : (
        <p class="outcome-line">Not run{a.statusReason ? '' : ' yet'}: no outcome to show.</p>
      )}
      {keys.length ? (
        <div class="table-scroll">
          <table class="trail state-compare">
            <thead>
              <tr>
                <th scope="col">Field</th>
                {columns.map(([name, s]) => (s ? <th scope="col">{name}</th> : null))}
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr class={changed.includes(k) ? 'changed' : undefined} data-field={k}>
                  <th scope="row">
                    {k}
                    {changed.includes(k) ? <span class="changed-mark"> (changed)</span> : null}
                  </th>
                  {columns.map(([, s]) => (s ? <td>{show(s[k])}</td> : null))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** Who proposed what, at which level, and how many approvals it has. */
function ActionFacts({ d }: { d: CardData }) {
  const a = d.item.action;
  return (
    <section aria-labelledby="sec-action">
      <h3 id="sec-action">Action</h3>
      <dl class="facts">
        <Field name="Kind">{a.kind}</Field>
        <Field name="Target">{a.target}</Field>
        <Field name="Proposed by">{a.proposer}</Field>
        <Field name="Level">{a.level}</Field>
        <Field name="Confidence">{d.item.confidence.detail}</Field>
        <Field name="Approvals">
          <span class="approvals">
            <span class="count">{a.approvals.granted.length}</span> of {a.approvals.required}
          </span>
          {a.approvals.granted.length
            ? ` (${a.approvals.granted.map((g) => g.actor).join(', ')})`
            : ''}
        </Field>
        <Field name="Digest">
          <code>{a.digest}</code>
        </Field>
      </dl>
    </section>
  );
}

/** The effect, the stage that settled it, and the rule path, each copyable. */
function RulePath({ d }: { d: CardData }) {
  return (
    <section aria-labelledby="sec-rule">
      <h3 id="sec-rule">Policy rule path</h3>
      <p>
        Effect <strong>{d.decision.effect}</strong> at stage <strong>{d.decision.stage}</strong>.
      </p>
      <ul class="rules">
        {d.decision.rules.map((r) => (
          <li>
            <code class="rule-path">{r}</code>{' '}
            <button
              type="button"
              class="btn-quiet btn-small"
              data-copy={r}
              aria-label={`Copy rule path ${r}`}
            >
              Copy
            </button>
          </li>
        ))}
      </ul>
      {d.decision.reasons.length ? (
        <ul class="reasons">
          {d.decision.reasons.map((r) => (
            <li>{r}</li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** The target, its driver and connection, what the action changes, and its state now. */
function AffectedTarget({ d }: { d: CardData }) {
  const a = d.item.action;
  const affected = Object.keys(d.entry?.effects ?? {});
  const state = d.target?.state ?? {};
  return (
    <section aria-labelledby="sec-assets">
      <h3 id="sec-assets">Affected target and assets</h3>
      <p>
        {a.target} ({d.target?.driver ?? 'unknown driver'},{' '}
        {d.target?.connected ? 'connected' : 'not connected'})
        {affected.length ? `: changes ${affected.join(', ')}` : ''}.
      </p>
      <pre class="state" aria-label="Target state now">
        {pretty(state)}
      </pre>
    </section>
  );
}

/** The catalog constraints and risk class that applied. */
function Constraints({ d }: { d: CardData }) {
  const a = d.item.action;
  const constraints = d.entry?.constraints;
  return (
    <section aria-labelledby="sec-constraints">
      <h3 id="sec-constraints">Constraints that applied</h3>
      {constraints ? (
        <pre>{pretty(constraints)}</pre>
      ) : (
        <p>The catalog sets no constraints for {a.kind}.</p>
      )}
      <p>
        Risk class: <strong>{d.entry?.risk ?? 'unknown'}</strong>
        {d.decision.approval
          ? ` — needs ${d.decision.approval.count} approval(s) from ${d.decision.approval.roles.join(' or ')} within ${d.decision.approval.timeoutSeconds} s`
          : ''}
        .
      </p>
    </section>
  );
}

/** The invariants the decision found violated. */
function Invariants({ d }: { d: CardData }) {
  return (
    <section aria-labelledby="sec-invariants">
      <h3 id="sec-invariants">Invariants</h3>
      {d.decision.invariants.length === 0 ? (
        <p>No invariant was violated.</p>
      ) : (
        <ul class="violations">
          {d.decision.invariants.map((v) => (
            <li>
              <code>{v.id}</code>: {v.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The inputs the decision was made on. */
function DecisionInputs({ d }: { d: CardData }) {
  const a = d.item.action;
  return (
    <section aria-labelledby="sec-inputs">
      <h3 id="sec-inputs">Decision inputs</h3>
      <pre>
        {pretty({
          kind: a.kind,
          target: a.target,
          params: a.params,
          level: a.level,
          confidence: a.confidence,
          proposer: a.proposer,
          policyDigest: d.decision.policyDigest,
        })}
      </pre>
    </section>
  );
}

/** The other members of the action's batch, and approving them together. */
function BatchMembers({ d }: { d: CardData }) {
  if (!d.batch) return null;

  return (
    <section aria-labelledby="sec-batch">
      <h3 id="sec-batch">Batch of {d.batch.actions.length}</h3>
      <ol class="batch-members">
        {d.batchItems.map((m) => (
          <li data-id={m.action.id}>
            <StatusChip status={m.action.status} /> {m.label}
          </li>
        ))}
      </ol>
      {d.batchItems.some((m) => m.can.approve) ? (
        <button type="button" class="btn-primary" data-act="approve-batch" data-id={d.batch.id}>
          Review and approve all {d.batchItems.filter((m) => m.can.approve).length}
        </button>
      ) : null}
    </section>
  );
}

/** Every audit record of the action, oldest first. */
function AuditTrail({ d, tz }: { d: CardData; tz: string }) {
  return (
    <section aria-labelledby="sec-trail">
      <h3 id="sec-trail">Audit trail</h3>
      <table class="trail">
        <thead>
          <tr>
            <th scope="col">Seq</th>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Actor</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {d.trail.map((r) => (
            <tr>
              <td>{r.seq}</td>
              <td>
                <time datetime={r.ts}>{clock(r.ts, tz)}</time>
              </td>
              <td>{r.type}</td>
              <td>{r.actor}</td>
              <td>
                <details>
                  <summary>payload</summary>
                  <pre>{pretty(r.payload)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The longest part of a tool's result the card shows (the sha256 covers all of it). */
const RESULT_PREVIEW_CHARS = 4_000;

/**
 * What an MCP tool answered: its sha256 (the one the audit record keeps), whether the answer was
 * a tool error, and the text of its content, cut for the card.
 */
function ToolResultSection(props: { outcome: Record<string, unknown> | null }) {
  const output = props.outcome?.output;
  if (!output || typeof output !== 'object' || Array.isArray(output)) return null;
  const o = output as Record<string, unknown>;
  if (typeof o.result_sha256 !== 'string') return null;
  const content = (o.result as { content?: unknown } | undefined)?.content;
  const text = Array.isArray(content)
    ? content
        .map((c: unknown) =>
          c && typeof c === 'object' && (c as { type?: unknown }).type === 'text'
            ? String((c as { text?: unknown }).text ?? '')
            : `[${String((c as { type?: unknown } | null)?.type ?? 'content')}]`,
        )
        .join('\n')
    : '';
  const cut = text.length > RESULT_PREVIEW_CHARS;
  return (
    <section aria-labelledby="sec-result">
      <h3 id="sec-result">Tool result</h3>
      {o.tool_error === true ? <p>The tool answered with an error.</p> : null}
      <pre class="output" aria-label="tool result">
        {(cut ? `${text.slice(0, RESULT_PREVIEW_CHARS)}…` : text) || '(no text)'}
      </pre>
      <p class="muted">
        sha256 <code>{o.result_sha256}</code>
        {cut ? ' (of the whole result; the text above is cut)' : ''}
      </p>
    </section>
  );
}

/**
 * What the target reported: a shell command's stdout and stderr (capped; the audit keeps their
 * sha256).
 */
function OutputSection(props: { outcome: Record<string, unknown> | null }) {
  const output = props.outcome?.output;
  if (!output || typeof output !== 'object' || Array.isArray(output)) return null;
  const o = output as Record<string, unknown>;
  const streams = (['stdout', 'stderr'] as const).filter((k) => typeof o[k] === 'string');
  if (streams.length === 0) return null;
  return (
    <section aria-labelledby="sec-output">
      <h3 id="sec-output">Output</h3>
      {typeof o.exit_code === 'number' ? <p>Exit code {o.exit_code}.</p> : null}
      {streams.map((k) => (
        <div class="output-stream">
          <h4>
            {k}
            {o[`${k}_truncated`] === true
              ? ' (truncated at the cap; the sha256 covers all of it)'
              : ''}
          </h4>
          <pre class="output" aria-label={k}>
            {(o[k] as string) || '(empty)'}
          </pre>
          {typeof o[`${k}_sha256`] === 'string' ? (
            <p class="muted">
              sha256 <code>{o[`${k}_sha256`] as string}</code>
            </p>
          ) : null}
        </div>
      ))}
    </section>
  );
}

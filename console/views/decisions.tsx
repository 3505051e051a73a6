/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Decision cards: every decision of a window, one line each, opening inline to its reasons,
 * rules, constraints, invariants and timing.
 */
import {
  SORTS,
  type DecisionCard,
  type DecisionCardsData,
  type DecisionCardsFilter,
  type Sort,
} from '../model/decision-cards.ts';
import { clock, pretty } from './format.ts';

const EFFECT_LABEL: Record<string, string> = {
  allow: 'allow',
  deny: 'deny',
  require_approval: 'needs approval',
};

function href(f: DecisionCardsFilter, over: Partial<Record<string, string>>): string {
  const p = new URLSearchParams();
  const base: Record<string, string | undefined> = {
    minutes: String(f.minutes),
    effect: f.effect,
    rule: f.rule,
    kind: f.kind,
    target: f.target,
    sort: f.sort,
    dir: f.dir,
    ...over,
  };
  for (const [k, v] of Object.entries(base)) if (v) p.set(k, v);
  return `/console/decisions?${p.toString()}`;
}

function SortLink({ f, sort, label }: { f: DecisionCardsFilter; sort: Sort; label: string }) {
  const active = f.sort === sort;
  const dir = active && f.dir === 'desc' ? 'asc' : 'desc';
  return (
    <a
      href={href(f, { sort, dir })}
      class={active ? 'sort active' : 'sort'}
      aria-current={active ? 'true' : undefined}
      data-sort={sort}
    >
      {label}
      {active ? (f.dir === 'desc' ? ' ↓' : ' ↑') : ''}
    </a>
  );
}

function CardLine({
  c,
  tz,
  catalog,
}: {
  c: DecisionCard;
  tz: string;
  catalog: DecisionCardsData['catalog'];
}) {
  const d = c.decision;
  const entry = c.kind ? catalog[c.kind] : undefined;
  return (
    <details
      class={`dcard effect-${d.effect}`}
      data-decision={d.id}
      data-effect={d.effect}
      data-latency={String(d.timings.totalUs)}
    >
      <summary>
        <time datetime={d.createdAt}>{clock(d.createdAt, tz)}</time>{' '}
        <span class={`status effect-chip effect-${d.effect}`}>
          {EFFECT_LABEL[d.effect] ?? d.effect}
        </span>{' '}
        <span class="dkind">{c.kind ?? '(dry run)'}</span>
        {c.target ? <span class="dtarget"> on {c.target}</span> : null}{' '}
        <code class="drule">{d.rules[0] ?? '—'}</code>{' '}
        <span class="dlatency">{d.timings.totalUs} µs</span> <span class="dlevel">{d.level}</span>
        {c.purpose !== 'proposal' ? (
          <span class="dpurpose"> ({c.purpose.replace('_', ' ')})</span>
        ) : null}
      </summary>
      <div class="dbody">
        <p>
          Stage <strong>{d.stage}</strong>; policy evaluation {d.timings.evaluateUs} µs of{' '}
          {d.timings.totalUs} µs.{' '}
          {c.actionId ? <a href={`/console/actions/${c.actionId}`}>Open the action</a> : null}
        </p>
        <h4>Reasons</h4>
        <ul class="reasons">
          {d.reasons.length ? d.reasons.map((r) => <li>{r}</li>) : <li>None given.</li>}
        </ul>
        <h4>Rules</h4>
        <ul class="rules">
          {d.rules.map((r) => (
            <li>
              <code>{r}</code>
            </li>
          ))}
        </ul>
        <h4>Constraints</h4>
        {entry?.constraints ? (
          <pre>{pretty(entry.constraints)}</pre>
        ) : (
          <p>
            {c.kind
              ? `The catalog sets no constraints for ${c.kind}.`
              : 'A dry run: no stored action.'}
          </p>
        )}
        {d.approval ? (
          <p>
            Needs {d.approval.count} approval(s) from {d.approval.roles.join(' or ')} within{' '}
            {d.approval.timeoutSeconds} s.
          </p>
        ) : null}
        {d.invariants.length ? (
          <>
            <h4>Invariants violated</h4>
            <ul>
              {d.invariants.map((v) => (
                <li>
                  <code>{v.id}</code>: {v.message}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
    </details>
  );
}

export function DecisionCardsPage({ data, tz }: { data: DecisionCardsData; tz: string }) {
  const f = data.filter;
  const text = (name: 'rule' | 'kind' | 'target', label: string) => (
    <label>
      {label}
      <input type="text" name={name} value={f[name] ?? ''} autocomplete="off" />
    </label>
  );
  return (
    <>
      <div class="page-head">
        <h1>Decision cards</h1>
        <p class="summary">
          {data.cards.length} decision(s) in the last {f.minutes} minute(s)
          {data.truncated ? ` (the newest ${data.cards.length} only)` : ''}. Open one for its
          reasons, rules and constraints.
        </p>
      </div>
      <form
        class="filters"
        method="get"
        action="/console/decisions"
        role="search"
        id="decision-filter"
      >
        <label>
          Window (minutes)
          <input
            type="number"
            name="minutes"
            min="1"
            max={String(7 * 1440)}
            value={String(f.minutes)}
          />
        </label>
        <label>
          Effect
          <select name="effect">
            <option value="">any</option>
            {(['allow', 'require_approval', 'deny'] as const).map((e) => (
              <option value={e} selected={f.effect === e}>
                {EFFECT_LABEL[e]}
              </option>
            ))}
          </select>
        </label>
        {text('rule', 'Rule')}
        {text('kind', 'Kind')}
        {text('target', 'Target')}
        <input type="hidden" name="sort" value={f.sort} />
        <input type="hidden" name="dir" value={f.dir} />
        <span class="filter-buttons">
          <button type="submit" class="btn-primary">
            Filter
          </button>
          <a class="btn-quiet" href="/console/decisions">
            Clear
          </a>
        </span>
        {f.notices.length ? (
          <ul class="notice" id="filter-notices">
            {f.notices.map((n) => (
              <li>
                Ignored {n.field}: {n.message}
              </li>
            ))}
          </ul>
        ) : null}
      </form>
      <p class="sorts">
        Sort by:{' '}
        {SORTS.map((s) => (
          <>
            <SortLink f={f} sort={s} label={s} />{' '}
          </>
        ))}
      </p>
      <div id="decision-cards">
        {data.cards.length === 0 ? (
          <p class="empty">No decision in this window matches.</p>
        ) : (
          data.cards.map((c) => <CardLine c={c} tz={tz} catalog={data.catalog} />)
        )}
      </div>
    </>
  );
}

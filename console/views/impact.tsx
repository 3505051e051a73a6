/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Policy impact (admins): edit one file of the running tree, replay a window of recorded
 * decisions through it, and see every decision that would come out differently.
 */
import type {
  Direction,
  DirectionCounts,
  ImpactChange,
  LiveImpact,
} from '../../gateway/schema/impact.ts';

export interface ImpactPageData {
  csrf: string;
  files: string[];
  file: string;
  content: string;
  from: string;
  to: string;
  result?: LiveImpact;
}

const HEADINGS: Record<Direction, string> = {
  loosened: 'Looser: a deny or hold that would pass, or fewer approvals',
  tightened: 'Tighter',
  changed: 'Same effect, decided by another stage or other rules',
};

function Counts({ title, rows }: { title: string; rows: Record<string, DirectionCounts> }) {
  const names = Object.keys(rows).sort();
  if (names.length === 0) return null;
  return (
    <table class="impact-counts" data-by={title}>
      <thead>
        <tr>
          <th scope="col">{title}</th>
          <th scope="col">looser</th>
          <th scope="col">tighter</th>
          <th scope="col">other</th>
        </tr>
      </thead>
      <tbody>
        {names.map((n) => (
          <tr>
            <th scope="row">{n}</th>
            <td>{rows[n]!.loosened}</td>
            <td>{rows[n]!.tightened}</td>
            <td>{rows[n]!.changed}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function verdict(v: ImpactChange['before']): string {
  const effect = v.effect === 'require_approval' ? `needs ${v.approvals} approval(s)` : v.effect;
  return `${effect} (${v.stage}: ${v.rules.join(', ') || 'no rule'})`;
}

function Example({ c }: { c: ImpactChange }) {
  return (
    <details class="impact-example" data-seq={c.seq} data-direction={c.direction}>
      <summary>
        #{c.seq} {c.kind} on {c.target}: {verdict(c.before)} → {verdict(c.after)}
      </summary>
      <p>
        {c.purpose} at {c.at}
        {c.after.reasons.length ? `. Reasons now: ${c.after.reasons.join('; ')}` : ''}
      </p>
      <pre>{JSON.stringify(c.input, null, 2)}</pre>
    </details>
  );
}

function Result({ result }: { result: LiveImpact }) {
  if (!result.ok) {
    const e = result.failure.error;
    return (
      <section id="impact-result" class="banner banner-error" data-ok="false">
        <h2>The candidate does not compile</h2>
        <p>{e.message}</p>
        <ul>
          {e.locations.map((l) => (
            <li>
              {l.file}:{l.line}: {l.message}
            </li>
          ))}
        </ul>
      </section>
    );
  }
  const r = result.report;
  const t = r.totals;
  return (
    <section id="impact-result" data-ok={String(r.gate.ok)}>
      <h2>
        {t.loosened + t.tightened + t.changed} of {r.decisions} recorded decisions would change
      </h2>
      <p class={r.gate.ok ? 'banner banner-ok' : 'banner banner-warn'} id="impact-totals">
        {t.loosened} looser, {t.tightened} tighter, {t.changed} other; {r.unchanged} unchanged,{' '}
        {r.replayed} replayed
        {r.truncated ? '; cut short at the limit, narrow the window' : ''}.
      </p>
      <p class="help" id="impact-baseline">
        {r.baseline
          ? `Compared with the policy in force, replayed on the same inputs. ${r.drift} recorded decision(s) were made under an earlier policy and decide differently today; they are not counted as this change.`
          : 'Compared with the decisions as recorded.'}
      </p>
      {r.gate.problems.length ? (
        <ul>
          {r.gate.problems.map((p) => (
            <li>{p}</li>
          ))}
        </ul>
      ) : null}
      {Object.keys(r.byTransition).length ? (
        <table class="impact-transitions">
          <thead>
            <tr>
              <th scope="col">change</th>
              <th scope="col">decisions</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(r.byTransition).map(([label, n]) => (
              <tr>
                <th scope="row">{label}</th>
                <td>{n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Counts title="kind" rows={r.byKind} />
      <Counts title="target" rows={r.byTarget} />
      {(['loosened', 'tightened', 'changed'] as const).map((d) =>
        r.examples[d].length ? (
          <section class="impact-examples" data-direction={d}>
            <h3>
              {HEADINGS[d]}: first {r.examples[d].length} of {t[d]}
            </h3>
            {r.examples[d].map((c) => (
              <Example c={c} />
            ))}
          </section>
        ) : null,
      )}
    </section>
  );
}

export function ImpactPage({ d }: { d: ImpactPageData }) {
  return (
    <div id="impact-page">
      <div class="page-head">
        <h1>Policy impact</h1>
      </div>
      <p class="help">
        Change one file of the running policy tree and replay recorded decisions through it. Nothing
        is loaded: the gateway keeps deciding with the policy in force.
      </p>
      <nav aria-label="Files" class="impact-files">
        <ul>
          {d.files.map((f) => (
            <li>
              <a
                href={`/console/policy-impact?file=${encodeURIComponent(f)}`}
                aria-current={f === d.file ? 'true' : undefined}
              >
                {f}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <form method="post" action="/console/policy-impact" id="impact-form">
        <input type="hidden" name="_csrf" value={d.csrf} />
        <input type="hidden" name="file" value={d.file} />
        <label for="impact-content">{d.file}</label>
        <textarea id="impact-content" name="content" rows={24} cols={100} spellcheck={false}>
          {d.content}
        </textarea>
        <label for="impact-from">From (sequence number, 7d, or ISO time)</label>
        <input id="impact-from" name="from" value={d.from} />
        <label for="impact-to">To (optional)</label>
        <input id="impact-to" name="to" value={d.to} />
        <button type="submit" class="btn-primary">
          Replay
        </button>
      </form>
      {d.result ? <Result result={d.result} /> : null}
    </div>
  );
}

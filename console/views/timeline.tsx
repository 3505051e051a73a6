/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The incident timeline: four lanes on one time axis, drawn as SVG (no inline styles under the
 * CSP).
 */
import type { TimelineData } from '../model/view-data.ts';
import { LANES, tickLabel, ticks, type TimelineEvent } from '../model/timeline.ts';
import { clock } from './format.ts';
import { SeverityIcon } from './icons.tsx';

const WIDTH = 1000;
const LANE_H = 56;
const LEFT = 120;

function Shape({ e, x, y }: { e: TimelineEvent; x: number; y: number }) {
  const title = `${new Date(e.at).toISOString()} ${e.summary}`;
  const cls = `ev lane-${e.lane}`;
  switch (e.lane) {
    case 'decision':
      return (
        <circle class={cls} cx={x} cy={y} r={6}>
          <title>{title}</title>
        </circle>
      );
    case 'incident':
      return (
        <polygon class={cls} points={`${x},${y - 8} ${x + 8},${y} ${x},${y + 8} ${x - 8},${y}`}>
          <title>{title}</title>
        </polygon>
      );
    case 'intervention':
      return (
        <rect class={cls} x={x - 6} y={y - 6} width={12} height={12}>
          <title>{title}</title>
        </rect>
      );
    default:
      return (
        <g class={cls}>
          <circle cx={x} cy={y} r={8} />
          <path d={`M${x - 4},${y} l3,3 l5,-6`} class="tick-mark" />
          <title>{title}</title>
        </g>
      );
  }
}

export function TimelineBody({ t, tz }: { t: TimelineData; tz: string }) {
  const span = Math.max(1, t.to - t.from);
  const xOf = (at: number) => LEFT + ((at - t.from) / span) * (WIDTH - LEFT - 10);
  const height = LANES.length * LANE_H + 30;
  return (
    <div id="timeline-body">
      <svg
        class="timeline"
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-labelledby="tl-title tl-desc"
      >
        <title id="tl-title">Timeline of the last {t.minutes} minutes</title>
        <desc id="tl-desc">
          {t.events.length} events:{' '}
          {LANES.map(
            (l) => `${t.events.filter((e) => e.lane === l.lane).length} ${l.title.toLowerCase()}`,
          ).join(', ')}
          .
        </desc>
        {LANES.map((l, i) => (
          <g class={`lane lane-${l.lane}`}>
            <line
              x1={LEFT}
              x2={WIDTH - 10}
              y1={i * LANE_H + LANE_H / 2}
              y2={i * LANE_H + LANE_H / 2}
              class="lane-line"
            />
            <text x={8} y={i * LANE_H + LANE_H / 2 + 4} class="lane-title">
              {l.title}
            </text>
          </g>
        ))}
        {ticks(t.from, t.to).map((at, _i, all) => (
          <g class="axis">
            <line x1={xOf(at)} x2={xOf(at)} y1={0} y2={LANES.length * LANE_H} class="grid" />
            <text x={xOf(at)} y={LANES.length * LANE_H + 18} class="tick-label">
              {tickLabel(clock(at, tz), (all[1] ?? at + 60_000) - (all[0] ?? at))}
            </text>
          </g>
        ))}
        {t.events.map((e) => (
          <Shape
            e={e}
            x={xOf(e.at)}
            y={LANES.findIndex((l) => l.lane === e.lane) * LANE_H + LANE_H / 2}
          />
        ))}
      </svg>
      <table class="timeline-list">
        <caption>Events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Lane</th>
            <th scope="col">Event</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {[...t.events]
            .reverse()
            .slice(0, 200)
            .map((e) => (
              <tr class={`lane-${e.lane}`}>
                <td>
                  <time datetime={new Date(e.at).toISOString()}>{clock(e.at, tz)}</time>
                </td>
                <td>{LANES.find((l) => l.lane === e.lane)?.title}</td>
                <td>{e.summary}</td>
                <td>
                  {e.actionId ? (
                    <a href={`/console/actions/${e.actionId}`}>{e.actionId.slice(0, 8)}</a>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}

export function TimelinePage({ t, tz }: { t: TimelineData; tz: string }) {
  return (
    <>
      <div class="page-head">
        <h1>Timeline</h1>
        <form method="get" action="/console/timeline" class="inline">
          <label for="tl-minutes">Window</label>
          <select id="tl-minutes" name="minutes">
            {[5, 15, 30, 60, 240, 1440].map((m) => (
              <option value={String(m)} selected={m === t.minutes}>
                last {m < 60 ? `${m} min` : `${m / 60} h`}
              </option>
            ))}
          </select>
          <button type="submit" class="btn-quiet">
            Show
          </button>
        </form>
      </div>
      <p class="legend">
        <span class="key lane-decision">● Decision</span>{' '}
        <span class="key lane-incident">◆ Incident</span>{' '}
        <span class="key lane-intervention">■ Intervention</span>{' '}
        <span class="key lane-recovery">
          <SeverityIcon severity="RECOVERED" /> Recovery
        </span>
      </p>
      <TimelineBody t={t} tz={tz} />
    </>
  );
}

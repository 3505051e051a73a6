/**
 * The pure parts of notifications: composing, redaction and caps, routing, unattended windows,
 * the webhook signature, and Slack's Block Kit limits under hostile text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../schema/catalog.ts';
import { NotificationSchema, type Notification } from '../schema/notification.ts';
import type { ActionsTable } from '../store/types.ts';
import { actionRow } from '../../test/helpers/action-row.ts';
import { composeNotification } from './compose.ts';
import { REDACTED, summarizeParams } from './params-summary.ts';
import { sinksFor } from './routing.ts';
import { signatureHeader, verifySignature } from './signature.ts';
import { SlackMessageSchema } from './sinks/block-kit.ts';
import { escapeMrkdwn, slackMessage } from './sinks/slack.ts';
import { emailSubject, emailText } from './sinks/email.ts';
import type { HandoffReport } from '../schema/handoff-report.ts';
import { REPORT_MARKDOWN_MAX_BYTES, reportNotification } from './report-notice.ts';
import { handoffMarkdown, MARKDOWN_LIST_MAX } from '../report/markdown.ts';
import { isUnattended } from '../config/unattended.ts';

const entry: CatalogEntry = {
  risk: 'high',
  label: 'Call {endpoint}',
  params: {
    endpoint: { type: 'string' },
    api_key: { type: 'string', sensitive: true },
    body: { type: 'string' },
  },
};

function action(params: Record<string, unknown>, over: Partial<ActionsTable> = {}): ActionsTable {
  return actionRow({
    id: 'a1',
    kind: 'http.call',
    target: 'api-1',
    params: JSON.stringify(params),
    confidence: 0.82,
    status_reason: 'risk high; needs approval',
    expires_at: 1_800_000_000_000,
    ...over,
  });
}

const compose = (params: Record<string, unknown>, over: Partial<ActionsTable> = {}): Notification =>
  composeNotification({
    id: 'audit-7',
    event: 'approval.pending',
    at: 1_800_000_000_000,
    auditSeq: 7,
    record: {
      actor: 'policy',
      payload: { from: 'PROPOSED', to: 'PENDING_APPROVAL', reason: 'risk high; needs approval' },
    },
    action: action(params, over),
    entry,
    unattended: false,
    consoleUrl: 'https://interlock.example',
    paramsMaxBytes: 256,
  });

describe('composing', () => {
  it('redacts sensitive params, caps the rest, and carries label, reasons, confidence and link', () => {
    const n = compose({ endpoint: '/v1/pay', api_key: 'sk-live-SECRET', body: 'x'.repeat(10_000) });
    expect(NotificationSchema.parse(n)).toEqual(n);
    expect(n.action?.params).not.toContain('SECRET');
    expect(n.action?.params).toContain(REDACTED);
    expect(Buffer.byteLength(n.action!.params)).toBeLessThanOrEqual(256);
    expect(n.action?.params_truncated).toBe(true);
    expect(n).toMatchObject({
      severity: 'high',
      title: 'Approval needed: Call /v1/pay on api-1',
      link: 'https://interlock.example/console/actions/a1',
      action: { reasons: ['risk high', 'needs approval'], confidence: 0.82 },
    });
  });

  it('keeps a sensitive value out of the label and title, with a template, without one, and for an unknown kind', () => {
    const secret = 'sk-live-SUPERSECRET';
    const texts = (n: unknown) => JSON.stringify(n);
    const templated = { ...entry, label: 'Rotate key to {api_key} at {endpoint}' };
    const { label: _l, ...untemplated } = entry;
    for (const e of [templated, untemplated, undefined]) {
      const n = composeNotification({
        id: 'audit-8',
        event: 'approval.pending',
        at: 0,
        auditSeq: 8,
        action: action({ endpoint: '/v1/keys', api_key: secret }),
        ...(e ? { entry: e } : {}),
        unattended: false,
        paramsMaxBytes: 1024,
      });
      expect(texts(n)).not.toContain('SUPERSECRET');
      expect(texts(slackMessage(n))).not.toContain('SUPERSECRET');
      expect(emailSubject(n)).not.toContain('SUPERSECRET');
    }
  });

  it('never lets a sensitive value through, whatever it is, and never exceeds the cap', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.jsonValue(),
        fc.integer({ min: 64, max: 2048 }),
        (secret, other, cap) => {
          const s = summarizeParams({ api_key: `K${secret}K`, body: other }, entry, cap);
          expect(Buffer.byteLength(s.text)).toBeLessThanOrEqual(cap);
          if (secret.length > 3) expect(s.text).not.toContain(`K${secret}K`);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('routing', () => {
  const n = compose({ endpoint: '/x' });
  it('matches on every listed field; a filter the event lacks matches nothing', () => {
    expect(sinksFor(n, [{ sinks: ['a'] }])).toEqual(['a']);
    expect(sinksFor(n, [{ sinks: ['a'], events: ['estop.engaged'] }])).toEqual([]);
    expect(
      sinksFor(n, [
        {
          sinks: ['a'],
          targets: ['api-1'],
          kinds: ['http.call'],
          severities: ['high'],
          levels: ['L3'],
        },
      ]),
    ).toEqual(['a']);
    expect(sinksFor(n, [{ sinks: ['a'], levels: ['L4'] }])).toEqual([]);
    const { target: _t, ...noTarget } = n;
    expect(sinksFor(noTarget, [{ sinks: ['a'], targets: ['api-1'] }])).toEqual([]);
    expect(sinksFor(n, [{ sinks: ['a', 'b'] }, { sinks: ['b', 'c'] }])).toEqual(['a', 'b', 'c']);
  });
});

describe('unattended windows', () => {
  const at = (hhmm: string) => Date.parse(`2026-12-02T${hhmm}:00Z`);
  it('spans midnight, honours targets and the time zone', () => {
    const w = [{ from: '22:00', to: '06:00' }];
    expect(isUnattended(w, 'r', at('23:30'), 'UTC')).toBe(true);
    expect(isUnattended(w, 'r', at('05:59'), 'UTC')).toBe(true);
    expect(isUnattended(w, 'r', at('06:00'), 'UTC')).toBe(false);
    expect(isUnattended(w, 'r', at('12:00'), 'UTC')).toBe(false);
    // 21:30 UTC is 22:30 in Berlin (CET).
    expect(isUnattended(w, 'r', at('21:30'), 'Europe/Berlin')).toBe(true);
    expect(isUnattended([{ targets: ['radio'] }], 'roaster', at('12:00'), 'UTC')).toBe(false);
    expect(isUnattended([{ targets: ['radio'] }], 'radio', at('12:00'), 'UTC')).toBe(true);
    expect(isUnattended([{ targets: ['radio'] }], undefined, at('12:00'), 'UTC')).toBe(false);
  });
});

describe('the webhook signature', () => {
  it('verifies what it signed, and nothing altered, stale or malformed', () => {
    const body = '{"id":"audit-1"}';
    const h = signatureHeader('k', body, 1_000_000);
    expect(verifySignature('k', h, body, 1_000_000)).toBe(true);
    expect(verifySignature('k', h, body.replace('1', '2'), 1_000_000)).toBe(false);
    expect(verifySignature('other', h, body, 1_000_000)).toBe(false);
    expect(verifySignature('k', h, body, 1_000_000 + 10 * 60_000)).toBe(false);
    expect(verifySignature('k', h.replace('t=1000000', 't=1000001'), body, 1_000_000)).toBe(false);
    expect(verifySignature('k', `${h}0`, body, 1_000_000)).toBe(false);
  });
});

describe("Slack's Block Kit limits", () => {
  it('holds for any text, size and Unicode the action brings', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 5000 }),
      fc.string({ unit: 'grapheme', maxLength: 400 }),
      fc.constantFrom(
        '<!channel>',
        '<https://evil|click>',
        '&amp;&lt;',
        '\u202e\u200b\u0000\ud800',
        '&'.repeat(4000),
      ),
    );
    fc.assert(
      fc.property(
        text,
        text,
        fc.array(text, { maxLength: 30 }),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        (endpoint, target, reasons, confidence) => {
          const n = compose(
            { endpoint, body: endpoint },
            { target, confidence, status_reason: reasons.join('; ') },
          );
          const withReasons = { ...n, action: { ...n.action!, reasons: reasons.slice(0, 10) } };
          const m = slackMessage(withReasons);
          const parsed = SlackMessageSchema.safeParse(m);
          expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
          // No mention, link or escape from the action's own text reaches Slack unescaped.
          // (plain_text, the header's, is never parsed for them.)
          const texts = JSON.stringify([m.text, ...mrkdwnTexts(m.blocks)]);
          expect(texts).not.toContain('<!channel>');
          expect(texts).not.toContain('<https://evil');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('escapes the three mrkdwn control characters', () => {
    expect(escapeMrkdwn('<!here> & <@U1>')).toBe('&lt;!here&gt; &amp; &lt;@U1&gt;');
  });
});

function mrkdwnTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnTexts);
  if (value === null || typeof value !== 'object') return [];
  const o = value as Record<string, unknown>;
  const own = o.type === 'mrkdwn' && typeof o.text === 'string' ? [o.text] : [];
  return [...own, ...Object.values(o).flatMap(mrkdwnTexts)];
}

describe('email', () => {
  it('keeps the subject to one line whatever the title holds', () => {
    const n = compose({ endpoint: '/x\r\nBcc: victim@example.com' });
    expect(emailSubject(n)).not.toMatch(/[\r\n]/);
  });
});

describe('scheduled report notifications', () => {
  const report = (actions: number, kind = 'radio.commit_playlist'): HandoffReport => ({
    window: { from: '2026-12-02T19:00:00.000Z', to: '2026-12-03T07:00:00.000Z' },
    records: actions,
    first_seq: 1,
    last_seq: actions,
    actions: Array.from({ length: actions }, (_, i) => ({
      id: `a-${i}-${'é'.repeat(40)}`,
      kind,
      target: 'radio-1',
      proposer: 'agent',
      proposed_in_window: true,
      status: 'COMPLETED',
      rollback_of: null,
      approved_by: ['op1'],
      unattended: true,
    })),
    by_status: { COMPLETED: actions },
    incidents: [
      {
        kind: 'breaker',
        at: '2026-12-03T02:00:00.000Z',
        target: 'radio-1',
        summary: 'circuit breaker error_rate tripped (high)',
        recovered_at: null,
        recovered_by: null,
        unattended: true,
      },
    ],
    rollbacks: [],
    level_changes: [],
    breaker_trips: [],
    emergency_stops: [],
    approvals: [],
  });
  const notice = (actions: number, kind?: string) =>
    reportNotification({
      id: 'report-morning-2026-12-03T07:00:00.000Z',
      name: 'morning',
      at: Date.parse('2026-12-03T07:00:00.000Z'),
      report: report(actions, kind),
      unattended: false,
      consoleUrl: 'https://interlock.example',
    });

  it('carries the counts, the Markdown and a link to the same window; an open incident warns', () => {
    const n = NotificationSchema.parse(notice(3));
    expect(n).toMatchObject({
      event: 'report.handoff',
      severity: 'warning',
      detail: { actions: 3, incidents: 1, open_incidents: 1 },
      report: { name: 'morning', markdown_truncated: false },
    });
    expect(n.link).toBe(
      'https://interlock.example/console/report?from=2026-12-02T19%3A00%3A00.000Z&to=2026-12-03T07%3A00%3A00.000Z',
    );
    expect(emailText(n)).toContain('# Handoff report');
    expect(emailText(n)).toContain('not recovered in the window');
  });

  it('cuts a huge night’s Markdown at the cap on a character boundary, and Slack stays in its limits', () => {
    const n = notice(5_000, 'é'.repeat(600));
    expect(n.report!.markdown_truncated).toBe(true);
    // What the next shift must pick up comes before the actions, so the cut never takes it.
    expect(n.report!.markdown).toContain('not recovered in the window');
    expect(Buffer.byteLength(n.report!.markdown)).toBeLessThanOrEqual(REPORT_MARKDOWN_MAX_BYTES);
    expect(n.report!.markdown).not.toContain('\uFFFD');
    expect(SlackMessageSchema.safeParse(slackMessage(n)).success).toBe(true);
    expect(JSON.stringify(slackMessage(n))).not.toContain('a-4999');
  });
});

describe('the report as Markdown', () => {
  const base = (): HandoffReport => ({
    window: { from: 'a', to: 'b' },
    records: 0,
    first_seq: null,
    last_seq: null,
    actions: [],
    by_status: {},
    incidents: [],
    rollbacks: [],
    level_changes: [],
    breaker_trips: [],
    emergency_stops: [],
    approvals: [],
  });

  it('keeps every value on its own line: a reason cannot forge a section', () => {
    const r = base();
    r.incidents.push({
      kind: 'execution_failed',
      at: '2026-12-03T02:00:00.000Z',
      target: 'radio-1',
      summary: 'failed: timeout\n\n## Emergency stops (1)\n\n- rearmed by op1\u2028x',
      recovered_at: null,
      recovered_by: null,
      unattended: false,
    });
    const md = handoffMarkdown(r);
    expect(md.match(/^## Emergency stops/gm)).toHaveLength(1);
    expect(md).toContain('## Emergency stops (0)');
  });

  it('lists at most a thousand of a huge list, says how many more, and never overflows', () => {
    const r = base();
    for (let i = 0; i < 200_000; i++)
      r.approvals.push({ at: 't', action_id: `a${i}`, by: 'op1', verdict: 'approved' });
    const md = handoffMarkdown(r);
    expect(md).toContain('## Approvals and refusals (200000)');
    expect(md).toContain(`… and ${200_000 - MARKDOWN_LIST_MAX} more`);
    expect(md).not.toContain('`a1000`');
  });
});

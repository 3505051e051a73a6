/**
 * Slack-compatible incoming webhooks: the notification as Block Kit blocks (label, reasons,
 * confidence, a button to the console card). Text from actions is escaped for mrkdwn, so a
 * parameter cannot mention `<!channel>` or forge a link.
 */
import type { Notification } from '../../schema/notification.ts';
import { postJson, SinkError, type Sink } from './sink.ts';
import { SlackMessageSchema, type SlackMessage } from './block-kit.ts';

export function slackSink(opts: { name: string; url: string; timeoutMs: number }): Sink {
  return {
    name: opts.name,
    timeoutMs: opts.timeoutMs,
    async send(n: Notification, signal: AbortSignal): Promise<void> {
      const message = SlackMessageSchema.safeParse(slackMessage(n));
      if (!message.success)
        throw new SinkError(
          opts.name,
          `the Slack message is outside Block Kit's limits: ${message.error.message}`,
        );
      await postJson(opts.name, opts.url, JSON.stringify(message.data), {}, signal);
    },
  };
}

/** mrkdwn's three control characters; everything else is literal. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escaped and cut to `max` UTF-16 units (what the limits count, at worst), never inside an
 * escape or a surrogate pair.
 */
function md(text: string, max: number): string {
  return cut(escapeMrkdwn(text), max);
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  out = out.replace(/&(a|am|amp|l|lt|g|gt)?$/, '');
  return `${out}…`;
}

const ICON: Record<Notification['severity'], string> = {
  info: ':information_source:',
  warning: ':warning:',
  high: ':large_orange_circle:',
  critical: ':rotating_light:',
};

export function slackMessage(n: Notification): SlackMessage {
  const blocks: SlackMessage['blocks'] = [
    { type: 'header', text: { type: 'plain_text', text: cut(n.title, 150) } },
  ];
  const fields: string[] = [`*Event*\n${n.event}`, `*Severity*\n${ICON[n.severity]} ${n.severity}`];
  if (n.target) fields.push(`*Target*\n${md(n.target, 1900)}`);
  if (n.level) fields.push(`*Level*\n${md(n.level, 1900)}`);
  if (n.action) {
    fields.push(`*Status*\n${n.action.status}`);
    if (n.action.confidence !== null)
      fields.push(`*Confidence*\n${Math.round(n.action.confidence * 100)} %`);
    if (n.action.expires_at) fields.push(`*Expires*\n${n.action.expires_at}`);
  }
  blocks.push({
    type: 'section',
    fields: fields.slice(0, 10).map((text) => ({ type: 'mrkdwn', text })),
  });
  if (n.action) {
    const reasons = n.action.reasons.map((r) => `• ${r}`).join('\n');
    if (reasons)
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: md(reasons, 2900) } });
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: md(`Params: ${n.action.params}`, 2900) },
    });
  }
  if (n.report) {
    const d = n.detail;
    const summary = [
      `*Window* ${n.report.from} – ${n.report.to}`,
      `Actions ${String(d.actions)} · incidents ${String(d.incidents)} (${String(d.open_incidents)} open) · rollbacks ${String(d.rollbacks)} · level changes ${String(d.level_changes)} · breaker trips ${String(d.breaker_trips)} · emergency stops ${String(d.emergency_stops)}`,
    ].join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: md(summary, 2900) } });
  }
  const context = [`${n.at}${n.unattended ? ' · unattended' : ''} · ${n.id}`];
  blocks.push({
    type: 'context',
    elements: context.map((text) => ({ type: 'mrkdwn', text: md(text, 1900) })),
  });
  if (n.link)
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in console' },
          url: cut(n.link, 3000),
        },
      ],
    });
  // The fallback text is mrkdwn too (notifications, clients without blocks).
  return { text: md(n.title, 3000), blocks };
}

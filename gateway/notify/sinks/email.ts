/**
 * Email through the configured SMTP relay (nodemailer). The Message-ID is derived from the event
 * id, so a retry after a lost reply is recognisably the same message to mail systems and people.
 */
import { createTransport } from 'nodemailer';
import type { Notification } from '../../schema/notification.ts';
import { SinkError, type Sink } from './sink.ts';

export interface EmailSinkOptions {
  name: string;
  timeoutMs: number;
  smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
  from: string;
  to: readonly string[];
}

export function emailSink(opts: EmailSinkOptions): Sink {
  const transport = createTransport({
    host: opts.smtp.host,
    port: opts.smtp.port,
    secure: opts.smtp.secure,
    ...(opts.smtp.user ? { auth: { user: opts.smtp.user, pass: opts.smtp.password ?? '' } } : {}),
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
  });
  return {
    name: opts.name,
    timeoutMs: opts.timeoutMs,
    async send(n: Notification, signal: AbortSignal): Promise<void> {
      const sending = transport.sendMail({
        from: opts.from,
        to: [...opts.to],
        subject: emailSubject(n),
        text: emailText(n),
        // RFC 5322 allows no ':' there (a report's id has a time in it): those become '.'.
        messageId: `<${n.id.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '.')}@interlock.invalid>`,
        headers: { 'X-Interlock-Event': n.event, 'X-Interlock-Event-Id': n.id },
      });
      const aborted = new Promise<never>((_, reject) => {
        const fail = (): void => reject(new SinkError(opts.name, 'timed out'));
        if (signal.aborted) fail();
        else signal.addEventListener('abort', fail, { once: true });
      });
      try {
        await Promise.race([sending, aborted]);
      } catch (err) {
        throw err instanceof SinkError
          ? err
          : new SinkError(opts.name, err instanceof Error ? err.message : String(err));
      }
    },
    close: () => transport.close(),
  };
}

/** One line: control characters (a CR/LF would start a new header) become spaces. */
export function emailSubject(n: Notification): string {
  const line = `[Interlock] ${n.unattended ? '[unattended] ' : ''}${n.title}`.replace(
    /\p{Cc}/gu,
    ' ',
  );
  return [...line].slice(0, 200).join('');
}

export function emailText(n: Notification): string {
  const lines = [n.title, '', `Event:    ${n.event} (${n.severity})`, `At:       ${n.at}`];
  if (n.unattended) lines.push('During:   a declared unattended window');
  if (n.target) lines.push(`Target:   ${n.target}`);
  if (n.level) lines.push(`Level:    ${n.level}`);
  if (n.action) {
    lines.push(`Action:   ${n.action.label}`, `Status:   ${n.action.status}`);
    if (n.action.confidence !== null)
      lines.push(`Confidence: ${Math.round(n.action.confidence * 100)} %`);
    if (n.action.expires_at) lines.push(`Expires:  ${n.action.expires_at}`);
    lines.push(`Params:   ${n.action.params}`);
    for (const r of n.action.reasons) lines.push(`Reason:   ${r}`);
  }
  for (const [k, v] of Object.entries(n.detail)) lines.push(`${k}: ${String(v)}`);
  if (n.link) lines.push('', n.link);
  if (n.report) lines.push('', n.report.markdown);
  lines.push('', `Event id: ${n.id}`);
  return lines.join('\n');
}

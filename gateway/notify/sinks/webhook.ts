/** A generic webhook: the notification as JSON, signed with the sink's HMAC key. */
import type { Notification } from '../../schema/notification.ts';
import { signatureHeader } from '../signature.ts';
import { postJson, type Sink } from './sink.ts';

export function webhookSink(opts: {
  name: string;
  url: string;
  secret: string;
  timeoutMs: number;
  now?: () => number;
}): Sink {
  const now = opts.now ?? Date.now;
  return {
    name: opts.name,
    timeoutMs: opts.timeoutMs,
    async send(n: Notification, signal: AbortSignal): Promise<void> {
      const body = JSON.stringify(n);
      await postJson(
        opts.name,
        opts.url,
        body,
        {
          'interlock-event': n.event,
          'interlock-event-id': n.id,
          'interlock-signature': signatureHeader(opts.secret, body, now()),
        },
        signal,
      );
    },
  };
}

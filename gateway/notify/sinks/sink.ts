/** What the worker delivers through: one configured sink. */
import type { Notification } from '../../schema/notification.ts';

export interface Sink {
  readonly name: string;
  readonly timeoutMs: number;
  /** Resolves when the receiver accepted it; rejects (SinkError) otherwise. */
  send(n: Notification, signal: AbortSignal): Promise<void>;
  close?(): void;
}

export class SinkError extends Error {
  readonly code = 'notification_sink_failed';
  constructor(
    readonly sink: string,
    message: string,
  ) {
    super(`${sink}: ${message}`);
    this.name = 'SinkError';
  }
}

/** POSTs JSON and wants a 2xx; redirects are refused (the configured URL is the receiver). */
export async function postJson(
  sink: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      redirect: 'error',
      signal,
    });
  } catch (err) {
    const cause =
      err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    // The URL can be a credential (Slack's): the message, shown on the Status page, never names it.
    const message = `${err instanceof Error ? err.message : String(err)}${cause}`;
    throw new SinkError(sink, message.split(url).join('<sink url>'));
  }
  // The body is not needed; reading it frees the connection.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new SinkError(sink, `HTTP ${res.status}`);
}

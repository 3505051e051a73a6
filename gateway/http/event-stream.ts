/** The lifecycle event stream as Server-Sent Events, for the API's /v1/events and the console's. */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EventBus, LifecycleEvent } from '../lifecycle/events.ts';

export interface StreamOptions {
  /** How one event is written. */
  encode(event: LifecycleEvent): { event: string; data: string };
  /**
   * Asked when the stream has been idle; false ends it after an `ended` event (an expired session).
   */
  stillValid?: () => Promise<boolean>;
  /** An event that ends this stream at once (its token was revoked or rotated). */
  endsOn?: (event: LifecycleEvent) => boolean;
  /**
   * How long a stream goes without a keep-alive and without re-checking stillValid (default 15 s).
   */
  idleMs?: number;
  now: () => number;
}

// A comment every 15 s keeps proxies from closing an idle stream.
const IDLE_MS = 15_000;

export function eventStream(c: Context, bus: EventBus, options: StreamOptions): Response {
  const idleMs = options.idleMs ?? IDLE_MS;
  return streamSSE(c, async (stream) => {
    const queue: LifecycleEvent[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const unsubscribe = bus.subscribe((e) => {
      if (options.endsOn?.(e)) ended = true;
      else queue.push(e);
      wake?.();
    });
    let open = true;
    let checkedAt = performance.now();
    stream.onAbort(() => {
      open = false;
      wake?.();
    });
    try {
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ at: options.now() }) });
      while (open) {
        if (ended) {
          await stream.writeSSE({ event: 'ended', data: '{}' });
          break;
        }
        if (queue.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, idleMs).unref();
          });
          wake = undefined;
          if (queue.length === 0 && open) {
            checkedAt = performance.now();
            if (options.stillValid && !(await options.stillValid())) {
              await stream.writeSSE({ event: 'ended', data: '{}' });
              break;
            }
            await stream.write(': keep-alive\n\n');
          }
          continue;
        }
        // A busy stream is never idle: re-check validity on the clock too, so a token revoked
        // elsewhere (the CLI, another replica) ends it within idleMs whatever the traffic.
        if (options.stillValid && performance.now() - checkedAt >= idleMs) {
          checkedAt = performance.now();
          if (!(await options.stillValid())) {
            await stream.writeSSE({ event: 'ended', data: '{}' });
            break;
          }
        }
        const event = queue.shift();
        if (event) await stream.writeSSE(options.encode(event));
      }
    } finally {
      unsubscribe();
    }
  });
}

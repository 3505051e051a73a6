/** The lifecycle event stream as Server-Sent Events, for the API's /v1/events and the console's. */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EventBus, LifecycleEvent } from '../lifecycle/events.ts';

export interface StreamOptions {
  /** How one event is written. */
  encode(event: LifecycleEvent): { event: string; data: string };
  /** Asked when the stream has been idle; false ends it after an `ended` event (an expired session). */
  stillValid?: () => Promise<boolean>;
  /** An event that ends this stream at once (its token was revoked or rotated). */
  endsOn?: (event: LifecycleEvent) => boolean;
  now: () => number;
}

// A comment every 15 s keeps proxies from closing an idle stream.
const IDLE_MS = 15_000;

export function eventStream(c: Context, bus: EventBus, options: StreamOptions): Response {
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
            setTimeout(resolve, IDLE_MS).unref();
          });
          wake = undefined;
          if (queue.length === 0 && open) {
            if (options.stillValid && !(await options.stillValid())) {
              await stream.writeSSE({ event: 'ended', data: '{}' });
              break;
            }
            await stream.write(': keep-alive\n\n');
          }
          continue;
        }
        const event = queue.shift();
        if (event) await stream.writeSSE(options.encode(event));
      }
    } finally {
      unsubscribe();
    }
  });
}

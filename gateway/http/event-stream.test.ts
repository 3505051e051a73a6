/**
 * The event stream ends when its credentials stop being valid: at once on an ending event,
 * and on a busy stream too (events every 20 ms never leave it idle), within its re-check time.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../lifecycle/events.ts';
import { eventStream } from './event-stream.ts';

async function read(
  res: Response,
  until: (text: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    if (until(text)) break;
  }
  await reader.cancel().catch(() => undefined);
  return text;
}

describe('event streams', () => {
  it('a busy stream whose token was revoked elsewhere ends within its re-check time', async () => {
    const bus = new EventBus();
    let valid = true;
    const app = new Hono().get('/events', (c) =>
      eventStream(c, bus, {
        now: Date.now,
        encode: (e) => ({ event: e.type, data: '{}' }),
        stillValid: async () => valid,
        idleMs: 200,
      }),
    );
    const res = await app.request('/events');
    const ticker = setInterval(() => bus.publish({ type: 'tick', at: Date.now() }), 20);
    try {
      setTimeout(() => {
        valid = false;
      }, 100);
      const started = Date.now();
      const text = await read(res, (t) => t.includes('event: ended'), 3_000);
      expect(text).toContain('event: tick');
      expect(text).toContain('event: ended');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      clearInterval(ticker);
    }
  });

  it('an ending event closes the stream at once, without waiting for a re-check', async () => {
    const bus = new EventBus();
    const app = new Hono().get('/events', (c) =>
      eventStream(c, bus, {
        now: Date.now,
        encode: (e) => ({ event: e.type, data: '{}' }),
        endsOn: (e) => e.type === 'token.ended',
        idleMs: 60_000,
      }),
    );
    const res = await app.request('/events');
    setTimeout(() => bus.publish({ type: 'token.ended', at: Date.now() }), 50);
    const started = Date.now();
    const text = await read(res, (t) => t.includes('event: ended'), 3_000);
    expect(text).toContain('event: ended');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

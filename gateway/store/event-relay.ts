/**
 * Lifecycle events between replicas on PostgreSQL: each committed event is sent with
 * NOTIFY; every replica LISTENs on its own connection and delivers the others' events to its
 * subscribers (console streams, the executor's kick). Delivery is best effort and only speeds
 * things up: correctness never depends on it (executors poll, the stop flag is re-read before
 * every claim). After a reconnect subscribers get a `relay.resync` event to refresh.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { LifecycleEvent } from '../schema/lifecycle-event.ts';

/** What the relay needs of the lifecycle's event bus: this replica's events out, others' in. */
export interface RelayedBus {
  forward(to: (event: LifecycleEvent) => void): () => void;
  publishRemote(event: LifecycleEvent): void;
}

const CHANNEL = 'interlock_events';
// NOTIFY payloads are limited to 8000 bytes; events are small, details are dropped if not.
const MAX_PAYLOAD = 7000;

export class EventRelay {
  readonly origin = randomUUID();
  #client: pg.Client | undefined;
  #stopped = false;
  #stopForward: (() => void) | undefined;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly bus: RelayedBus,
    private readonly pool: { query(text: string, values: unknown[]): Promise<unknown> },
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    this.#stopForward = this.bus.forward((event) => this.#send(event));
    await this.#listen(false);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopForward?.();
    if (this.#retry) clearTimeout(this.#retry);
    await this.#client?.end().catch(() => undefined);
  }

  #send(event: LifecycleEvent): void {
    let payload = JSON.stringify({ origin: this.origin, event });
    if (payload.length > MAX_PAYLOAD)
      payload = JSON.stringify({ origin: this.origin, event: { ...event, detail: undefined } });
    this.pool
      .query('select pg_notify($1, $2)', [CHANNEL, payload])
      .catch((err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err))));
  }

  async #listen(resync: boolean): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', (err) => {
      this.onError(err);
      this.#reconnect();
    });
    client.on('end', () => this.#reconnect());
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        const { origin, event } = JSON.parse(msg.payload) as {
          origin: string;
          event: LifecycleEvent;
        };
        if (origin !== this.origin) this.bus.publishRemote(event);
      } catch (err) {
        this.onError(err instanceof Error ? err : new Error(String(err)));
      }
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#client = client;
    if (resync) this.bus.publishRemote({ type: 'relay.resync', at: Date.now() });
  }

  #reconnect(): void {
    if (this.#stopped || this.#retry) return;
    this.#client = undefined;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#listen(true).catch((err: unknown) => {
        this.onError(err instanceof Error ? err : new Error(String(err)));
        this.#reconnect();
      });
    }, 1000);
    this.#retry.unref();
  }
}

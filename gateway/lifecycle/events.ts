/** Lifecycle events for live subscribers (the console's Server-Sent Events stream). */
import { EventEmitter } from 'node:events';
import type { LifecycleEvent } from '../schema/lifecycle-event.ts';

export type { LifecycleEvent };

export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every open console tab subscribes; the default warning at 10 would be noise.
    this.#emitter.setMaxListeners(0);
  }

  readonly #forwarders: ((event: LifecycleEvent) => void)[] = [];

  /** An event of this process: delivered here and handed to forwarders (other replicas). */
  publish(event: LifecycleEvent): void {
    this.#emitter.emit('event', event);
    for (const f of this.#forwarders) f(event);
  }

  /** An event another replica published: delivered here only. */
  publishRemote(event: LifecycleEvent): void {
    this.#emitter.emit('event', event);
  }

  forward(to: (event: LifecycleEvent) => void): () => void {
    this.#forwarders.push(to);
    return () => {
      const i = this.#forwarders.indexOf(to);
      if (i >= 0) this.#forwarders.splice(i, 1);
    };
  }

  subscribe(listener: (event: LifecycleEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}

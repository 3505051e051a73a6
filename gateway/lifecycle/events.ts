/** Lifecycle events for live subscribers (the console's Server-Sent Events stream). */
import { EventEmitter } from 'node:events';

export interface LifecycleEvent {
  type: string;
  actionId?: string;
  target?: string;
  status?: string;
  at: number;
  detail?: Record<string, unknown>;
}

export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every open console tab subscribes; the default warning at 10 would be noise.
    this.#emitter.setMaxListeners(0);
  }

  publish(event: LifecycleEvent): void {
    this.#emitter.emit('event', event);
  }

  subscribe(listener: (event: LifecycleEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}

/**
 * Console login throttling and refusal accounting. A client (by address) or a token prefix
 * with too many failed logins in a window has its further failures answered 429 with
 * Retry-After (a valid token still logs in: no lockout). Refusals are not audited one by one
 * (anyone who reaches the login page
 * could grow the audit log without bound): each client's refusals in a window become one
 * `console.login_refused` record with a count, written when the window closes or at shutdown.
 *
 * State is per process and bounded: at most `maxKeys` keys are tracked; beyond that the
 * oldest windows are dropped, and their counts flushed first.
 */
import { recordAudit } from '../gateway/lifecycle/audit.ts';
import type { Deps } from '../gateway/lifecycle/deps.ts';

export interface ThrottleOptions {
  /** Failures allowed per client, and per token prefix, in one window. */
  maxFailures: number;
  windowMs: number;
  /** Keys tracked at most (clients plus prefixes). */
  maxKeys: number;
  /**
   * Clients audited one record each per flush; the rest share one record, so many addresses cannot
   * grow the log either.
   */
  maxRecordsPerFlush: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  maxFailures: 10,
  windowMs: 60_000,
  maxKeys: 10_000,
  maxRecordsPerFlush: 20,
};

/**
 * clientKey: the bucket an address counts in. IPv4 as it is (also when written IPv4-mapped);
 * IPv6 by its /64, which one host or site typically holds whole.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export type RefusalReason = 'unknown_token' | 'role_not_allowed' | 'throttled';

interface Window {
  start: number;
  failures: number;
}

interface Refusals {
  start: number;
  last: number;
  count: number;
  reasons: Partial<Record<RefusalReason, number>>;
  /** Names of known tokens refused (role not allowed), at most 10. */
  names: string[];
}

function merge(all: readonly Refusals[]): Refusals {
  const reasons: Partial<Record<RefusalReason, number>> = {};
  for (const r of all)
    for (const [k, n] of Object.entries(r.reasons) as [RefusalReason, number][])
      reasons[k] = (reasons[k] ?? 0) + n;
  return {
    // reduce, not Math.min(...): a spread of 100,000 entries overflows the stack.
    start: all.reduce((m, r) => Math.min(m, r.start), Infinity),
    last: all.reduce((m, r) => Math.max(m, r.last), -Infinity),
    count: all.reduce((n, r) => n + r.count, 0),
    reasons,
    names: [...new Set(all.flatMap((r) => r.names))].slice(0, 10),
  };
}

/** The part of a token that identifies a guess at one token without storing the token. */
export function tokenPrefix(token: string): string {
  return token.slice(0, 11);
}

export class LoginThrottle {
  readonly #windows = new Map<string, Window>();
  readonly #refusals = new Map<string, Refusals>();
  /** Refusal windows closed or evicted, waiting to be written. */
  readonly #closed: Array<[string, Refusals]> = [];

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Seconds until this client and prefix may try again, or undefined when they may now. */
  retryAfter(client: string, prefix: string, now: number): number | undefined {
    let wait = 0;
    for (const key of [`client:${client}`, `prefix:${prefix}`]) {
      const w = this.#windows.get(key);
      if (w && now - w.start < this.options.windowMs && w.failures >= this.options.maxFailures) {
        wait = Math.max(wait, w.start + this.options.windowMs - now);
      }
    }
    return wait > 0 ? Math.ceil(wait / 1000) : undefined;
  }

  /** Counts a failed (or throttled) login against the client and the prefix, for the audit too. */
  refused(client: string, prefix: string, reason: RefusalReason, now: number, name?: string): void {
    if (reason !== 'throttled') {
      for (const key of [`client:${client}`, `prefix:${prefix}`]) {
        const w = this.#windows.get(key);
        if (!w || now - w.start >= this.options.windowMs)
          this.#track(this.#windows, key, { start: now, failures: 1 });
        else w.failures++;
      }
    }
    const r = this.#refusals.get(client);
    if (!r || now - r.start >= this.options.windowMs) {
      if (r) this.#closed.push([client, r]);
      const evicted = this.#track(this.#refusals, client, {
        start: now,
        last: now,
        count: 1,
        reasons: { [reason]: 1 },
        names: name ? [name] : [],
      });
      // A client pushed out of memory is written out, not forgotten.
      this.#closed.push(...evicted);
    } else {
      r.count++;
      r.last = now;
      r.reasons[reason] = (r.reasons[reason] ?? 0) + 1;
      if (name && !r.names.includes(name) && r.names.length < 10) r.names.push(name);
    }
  }

  /** Sets key as the newest entry; returns the oldest entries dropped to stay within maxKeys. */
  #track<V>(map: Map<string, V>, key: string, value: V): Array<[string, V]> {
    map.delete(key);
    map.set(key, value);
    const evicted: Array<[string, V]> = [];
    for (const [oldest, v] of map) {
      if (map.size <= this.options.maxKeys) break;
      evicted.push([oldest, v]);
      map.delete(oldest);
    }
    return evicted;
  }

  /**
   * flush writes one audit record per client whose window has closed (every window with
   * `all`, at shutdown), and forgets expired throttle windows.
   */
  async flush(db: Pick<Deps, 'db'>, now: number, options: { all?: boolean } = {}): Promise<number> {
    for (const [client, r] of this.#refusals) {
      if (options.all || now - r.start >= this.options.windowMs) {
        this.#closed.push([client, r]);
        this.#refusals.delete(client);
      }
    }
    for (const [key, w] of this.#windows)
      if (now - w.start >= this.options.windowMs) this.#windows.delete(key);
    const closed = this.#closed.splice(0);
    if (closed.length === 0) return 0;
    try {
      // The busiest clients get a record each; everyone else is summed into one.
      closed.sort(([, a], [, b]) => b.count - a.count);
      const batch = closed.slice(0, this.options.maxRecordsPerFlush);
      const rest = closed.slice(this.options.maxRecordsPerFlush);
      if (rest.length > 0)
        batch.push([`${rest.length} other clients`, merge(rest.map(([, r]) => r))]);
      await this.#write(db, batch, now);
      return batch.length;
    } catch (err) {
      // Kept for the next flush: a database outage must not lose the count.
      for (const entry of closed) this.#closed.push(entry);
      throw err;
    }
  }

  async #write(
    deps: Pick<Deps, 'db'>,
    batch: Array<[string, Refusals]>,
    now: number,
  ): Promise<void> {
    await recordAudit(
      deps,
      batch.map(([client, r]) => ({
        type: 'console.login_refused',
        actor:
          r.names.length === 1 && r.count === (r.reasons.role_not_allowed ?? 0)
            ? r.names[0]!
            : 'anonymous',
        at: now,
        payload: {
          client,
          count: r.count,
          from: new Date(r.start).toISOString(),
          to: new Date(r.last).toISOString(),
          reasons: r.reasons,
          ...(r.names.length > 0 ? { names: r.names } : {}),
        },
      })),
    );
  }
}

/** The decision context: what the gateway knows about the target and its history at `now`. */
import { z } from 'zod';

/**
 * The last completed action of a kind on the target: the ramp param's value, all its params, when.
 */
export const LastValueSchema = z.strictObject({
  value: z.number().optional(),
  at: z.number(),
  params: z.record(z.string(), z.unknown()).optional(),
});
export const RateWindowSchema = z.strictObject({
  count: z.number().int().nonnegative(),
  oldest_at: z.number().optional(),
});

/**
 * The key of one windowed count in `history.counts`: the kind pattern and the window. The
 * invariant compiler names the counts it needs with it, and the gateway fills them in by it.
 */
export const countKey = (q: { kind: string; window_ms: number }): string =>
  `${q.kind}@${q.window_ms}`;

export const HistorySchema = z.strictObject({
  /** Last accepted value per kind, for ramp limits. */
  last: z.record(z.string(), LastValueSchema).default({}),
  /** Counts per rate-limit id for this actor/target/kind in its window. */
  rate: z.record(z.string(), RateWindowSchema).default({}),
  /** Windowed counts the invariants ask for, keyed `${kind pattern}@${window ms}`. */
  counts: z.record(z.string(), z.number().int().nonnegative()).optional(),
});

/** "HH:MM" for a minute of the day (0–1439): how messages show a clock time to people. */
export function clockTime(minute: number): string {
  const hh = String(Math.floor(minute / 60)).padStart(2, '0');
  return `${hh}:${String(minute % 60).padStart(2, '0')}`;
}

// Building an Intl.DateTimeFormat costs more than a whole SQLite query; one per zone is kept.
const clockFormats = new Map<string, Intl.DateTimeFormat>();

function clockFormat(timeZone: string): Intl.DateTimeFormat {
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
      hourCycle: 'h23',
    });
    clockFormats.set(timeZone, format);
  }
  return format;
}

/** Minute of the day and weekday (0 = Sunday) at `now` in a time zone. */
export function clockAt(
  now: number,
  timeZone: string,
): { minute: number; weekday: number; time: string } {
  const parts = clockFormat(timeZone).formatToParts(now);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(part('weekday'));
  const minute = Number(part('hour')) * 60 + Number(part('minute'));
  return { minute, weekday: Math.max(0, weekday), time: clockTime(minute) };
}

export const DecisionContextSchema = z.strictObject({
  level: z.string().min(1).max(32),
  /** Target telemetry and mode from its driver; empty when unknown. */
  state: z.record(z.string(), z.unknown()).default({}),
  history: HistorySchema.default({ last: {}, rate: {} }),
  /** Milliseconds since the epoch. Decisions never read the clock themselves. */
  now: z.number().int().nonnegative(),
  estop: z.boolean().default(false),
  /** Local time of day in the gateway's configured time zone, for time-window invariants. */
  clock: z
    .strictObject({
      minute: z.number().int().min(0).max(1439),
      weekday: z.number().int().min(0).max(6),
      /** The same minute as "HH:MM", for messages people read; filled from minute when absent. */
      time: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
        .optional(),
    })
    .optional(),
  /** Set when the action is part of a batch. */
  batch: z.strictObject({ size: z.number().int().positive() }).optional(),
});

export type DecisionContext = z.infer<typeof DecisionContextSchema>;

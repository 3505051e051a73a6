/**
 * The decision cards page (the provably-safe-autonomy document's viewer): the decisions of a
 * time window, filtered by effect, rule, kind and target, sorted by any of them or by latency.
 * Values that do not parse are dropped and named, as on the queue.
 */
import { z } from 'zod';
import type { DecisionCard } from '../../gateway/lifecycle/queries.ts';
import type { CatalogEntry } from '../../gateway/schema/catalog.ts';
import { FilterName, parseQueryFields } from './query-fields.ts';

export type { DecisionCard };

/** At most this many decisions of a window are read; the page says when there were more. */
export const DECISION_CARDS_LIMIT = 1000;

export interface DecisionCardsData {
  cards: DecisionCard[];
  filter: DecisionCardsFilter;
  /** The window held more decisions than were read. */
  truncated: boolean;
  catalog: Record<string, CatalogEntry>;
}

export const SORTS = ['time', 'latency', 'effect', 'rule', 'kind', 'target'] as const;
export type Sort = (typeof SORTS)[number];

const FIELDS = {
  minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 1440),
  effect: z.enum(['allow', 'deny', 'require_approval']),
  rule: FilterName,
  kind: FilterName,
  target: FilterName,
  sort: z.enum(SORTS),
  dir: z.enum(['asc', 'desc']),
} as const;
type Field = keyof typeof FIELDS;

export interface DecisionCardsFilter {
  minutes: number;
  effect?: 'allow' | 'deny' | 'require_approval';
  rule?: string;
  kind?: string;
  target?: string;
  sort: Sort;
  dir: 'asc' | 'desc';
  notices: { field: Field; message: string }[];
}

export function parseDecisionCardsFilter(
  query: Record<string, string | undefined>,
): DecisionCardsFilter {
  const { values, notices } = parseQueryFields(FIELDS, query);
  return { minutes: 60, sort: 'time', dir: 'desc', ...values, notices };
}

const firstRule = (c: DecisionCard): string => c.decision.rules[0] ?? '';

const KEYS: Record<Sort, (c: DecisionCard) => string | number> = {
  time: (c) => Date.parse(c.decision.createdAt),
  latency: (c) => c.decision.timings.totalUs,
  effect: (c) => c.decision.effect,
  rule: firstRule,
  kind: (c) => c.kind ?? '',
  target: (c) => c.target ?? '',
};

/** Keeps the cards whose rules include the asked one (a prefix, so "baseline.shell" works). */
export function withRule(cards: DecisionCard[], rule: string | undefined): DecisionCard[] {
  return rule === undefined
    ? cards
    : cards.filter((c) => c.decision.rules.some((r) => r === rule || r.startsWith(`${rule}.`)));
}

/** A stable sort by the chosen key, ties newest first. */
export function sortCards(cards: DecisionCard[], sort: Sort, dir: 'asc' | 'desc'): DecisionCard[] {
  const key = KEYS[sort];
  const sign = dir === 'asc' ? 1 : -1;
  return [...cards].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c = ka < kb ? -1 : ka > kb ? 1 : 0;
    return (
      c * sign ||
      Date.parse(b.decision.createdAt) - Date.parse(a.decision.createdAt) ||
      (a.decision.id < b.decision.id ? 1 : -1)
    );
  });
}

/** Autonomy levels in force: per target, capped by the configured ceiling, aliases resolved. */
import type { PolicyData } from '../schema/policy-data.ts';

/** resolveLevel maps an alias (semi_auto, …) to its level; undefined if it is neither. */
export function resolveLevel(data: PolicyData | undefined, level: string): string | undefined {
  if (!data) return undefined;
  if (data.autonomy.order.includes(level)) return level;
  const alias = data.autonomy.aliases[level];
  return alias && data.autonomy.order.includes(alias) ? alias : undefined;
}

export function rank(data: PolicyData, level: string): number {
  return data.autonomy.order.indexOf(level);
}

/** The lower of two levels in the policy's order (unknown levels rank lowest: fail closed). */
export function lowerOf(data: PolicyData | undefined, a: string, b: string): string {
  if (!data) return a;
  return rank(data, a) <= rank(data, b) ? a : b;
}

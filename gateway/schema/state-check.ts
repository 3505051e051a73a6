/**
 * A target's state is input too: a driver relays what a controller says (tcp-line passes the
 * controller's JSON through). State that is not well-formed, or whose declared fields have the
 * wrong type, is unreadable state, and the caller denies: a comparison such as `"0" >= 1` would
 * otherwise decide on a value of the wrong type (Rego orders values across types).
 */
import { illFormedField } from './unicode.ts';

export type StateFieldType = 'number' | 'string' | 'bool';

/** Why this state cannot be decided on, or undefined when it can. */
export function stateProblem(
  state: Record<string, unknown>,
  fields: Readonly<Record<string, StateFieldType>> | undefined,
): string | undefined {
  const illFormed = illFormedField(state, ['state']);
  if (illFormed !== undefined) return `${illFormed} is not well-formed Unicode`;
  for (const [field, type] of Object.entries(fields ?? {})) {
    if (!Object.hasOwn(state, field)) continue;
    const value = state[field];
    if (value === null || value === undefined) continue;
    const actual =
      typeof value === 'number'
        ? Number.isFinite(value)
          ? 'number'
          : 'non-finite number'
        : typeof value === 'boolean'
          ? 'bool'
          : typeof value === 'string'
            ? 'string'
            : Array.isArray(value)
              ? 'list'
              : typeof value;
    if (actual !== type)
      return `state.${field} is ${describe(value, actual)}, where the catalog declares ${type}`;
  }
  return undefined;
}

function describe(value: unknown, actual: string): string {
  const shown = JSON.stringify(value) ?? String(value);
  return `${actual === 'string' ? 'a string' : `a ${actual}`} (${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown})`;
}

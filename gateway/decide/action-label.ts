/**
 * Human-readable action labels: the catalog's template with the params filled in, plus the target.
 */
import { quoteArgv } from './shell-argv.ts';
import type { CatalogEntry } from '../schema/catalog.ts';

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

function show(value: unknown): string {
  if (value === undefined) return '?';
  if (typeof value === 'string') return value;
  // An argv reads as the command line that runs exactly it.
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return quoteArgv(value);
  return JSON.stringify(value);
}

/** "Set burner power to 80 % on roaster-1"; without a template, the kind and params. */
export function actionLabel(
  kind: string,
  target: string,
  params: Record<string, unknown>,
  entry: CatalogEntry | undefined,
): string {
  const body = entry?.label
    ? entry.label.replace(PLACEHOLDER, (_, name: string) => show(params[name]))
    : `${kind}${Object.keys(params).length ? ` ${JSON.stringify(params)}` : ''}`;
  return `${body} on ${target}`;
}

/** Shortens to at most `max` characters, marking the cut with an ellipsis. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

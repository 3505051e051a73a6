/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Severity badges, confidence pills and status chips: shape, icon and text carry the meaning, never
 * colour alone.
 */
import type { ConfidencePill } from '../model/confidence.ts';
import type { Severity } from '../model/severity.ts';
import { statusLabel } from './format.ts';
import { SeverityIcon } from './icons.tsx';

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span class={`badge sev-${severity.toLowerCase()}`}>
      <SeverityIcon severity={severity} /> {severity}
    </span>
  );
}

export function ConfidenceBadge({ pill }: { pill: ConfidencePill }) {
  return (
    <span class={`pill conf-${pill.band}`} title={`confidence ${pill.detail}`}>
      {pill.label} <span class="raw">{pill.detail}</span>
    </span>
  );
}

export function StatusChip({
  status,
  recommendation = false,
}: {
  status: string;
  recommendation?: boolean;
}) {
  // A recommendation is stored as DENIED (nothing ran) but reads as what it is.
  return recommendation ? (
    <span class="status st-recommendation" data-status={status}>
      Recommendation
    </span>
  ) : (
    <span class={`status st-${status.toLowerCase()}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}

/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Inline SVG icons: they draw the same everywhere, with no emoji font installed (an emoji with no
 * font is an empty box). Decorative: the text beside each says the same.
 */
import type { Severity } from '../model/severity.ts';

const PATHS: Record<Severity, string> = {
  // A stop sign: an octagon with a bar.
  ERROR: 'M5.2 1h5.6L15 5.2v5.6L10.8 15H5.2L1 10.8V5.2zM4 7v2h8V7z',
  // A warning triangle with an exclamation mark.
  WARN: 'M8 1l7.5 13.5h-15zM7 6v4.5h2V6zm0 5.5v2h2v-2z',
  // A check mark in a circle.
  RECOVERED: 'M8 1a7 7 0 110 14A7 7 0 018 1zm3.3 4.3L7 9.6 4.7 7.3 3.3 8.7 7 12.4l5.7-5.7z',
  // An "i" in a circle.
  INFO: 'M8 1a7 7 0 110 14A7 7 0 018 1zM7 7v5h2V7zm0-3v2h2V4z',
};

export function SeverityIcon({ severity }: { severity: Severity }) {
  return (
    <svg
      class="icon"
      viewBox="0 0 16 16"
      width="14"
      height="14"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[severity]} fill="currentColor" fill-rule="evenodd" />
    </svg>
  );
}

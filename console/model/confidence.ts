/**
 * The confidence pill: the agent's self-reported score as High / Medium / Low plus the raw number.
 */

export type ConfidenceBand = 'high' | 'medium' | 'low' | 'none';

export interface ConfidencePill {
  band: ConfidenceBand;
  label: string;
  /** "0.86 (86%)", or "not given". */
  detail: string;
}

// Bands follow the radio operating-modes document's High/Medium/Low pill; the cut points are ours.
export const HIGH_AT = 0.8;
export const MEDIUM_AT = 0.5;

export function confidencePill(score: number | null): ConfidencePill {
  if (score === null || !Number.isFinite(score))
    return { band: 'none', label: 'None', detail: 'not given' };
  const band: ConfidenceBand = score >= HIGH_AT ? 'high' : score >= MEDIUM_AT ? 'medium' : 'low';
  const label = band === 'high' ? 'High' : band === 'medium' ? 'Medium' : 'Low';
  return { band, label, detail: `${score.toFixed(2)} (${Math.round(score * 100)}%)` };
}

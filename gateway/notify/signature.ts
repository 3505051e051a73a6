/**
 * The webhook signature: `Interlock-Signature: t=<epoch ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 * The time is inside the MAC so a captured request cannot be replayed later than the receiver's
 * tolerance; receivers deduplicate on `Interlock-Event-Id` within it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'interlock-signature';

export function signatureHeader(secret: string, body: string, t: number): string {
  return `t=${t},v1=${mac(secret, t, body)}`;
}

/** Whether `header` is a valid signature of `body` made within `toleranceMs` of `now`. */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  now: number,
  toleranceMs = 5 * 60_000,
): boolean {
  const m = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (!Number.isSafeInteger(t) || Math.abs(now - t) > toleranceMs) return false;
  return timingSafeEqual(Buffer.from(m[2]!, 'hex'), Buffer.from(mac(secret, t, body), 'hex'));
}

function mac(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

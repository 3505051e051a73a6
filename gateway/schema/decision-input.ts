/**
 * The whole input of one decision, as decide() received it: the action (with the argv the
 * gateway tokenized), the actor, the context (level, state, history counts, clock, stop) and the
 * world facts read with it. Kept with every recorded decision so a candidate policy can be
 * replayed against exactly what the engine saw.
 */
import { z } from 'zod';
import { ActorSchema } from './action.ts';
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import { DecisionContextSchema } from './context.ts';

export const DecisionInputSchema = z.strictObject({
  /** The proposal as decided; decide() validates it again on replay. */
  envelope: z.unknown(),
  actor: ActorSchema,
  context: DecisionContextSchema,
  world: z
    .strictObject({
      stateUnavailable: z.string().optional(),
      pausedBy: z.string().optional(),
    })
    .default({}),
});

export type DecisionInput = z.infer<typeof DecisionInputSchema>;

/**
 * Inputs larger than this are recorded by digest only: a controller may report megabytes of
 * state, and every decision would carry them. Such a decision cannot be replayed.
 */
export const DECISION_INPUT_MAX_BYTES = 65_536;

export interface RecordedInput {
  /** The canonical JSON, or null when it is over the cap. */
  text: string | null;
  sha256: string;
  bytes: number;
}

/**
 * recordedInput is the input as a decision record keeps it: canonical JSON (RFC 8785) after a
 * JSON round trip, so a NaN in a state is the null the engine saw rather than a failure, and its
 * sha256, which the signed audit record carries.
 */
export function recordedInput(input: {
  envelope: unknown;
  actor: unknown;
  context: unknown;
  world?: unknown;
}): RecordedInput {
  const plain: unknown = JSON.parse(
    JSON.stringify({
      envelope: input.envelope,
      actor: input.actor,
      context: input.context,
      world: input.world ?? {},
    }),
  );
  const text = canonicalJson(plain);
  const bytes = Buffer.byteLength(text);
  return { text: bytes <= DECISION_INPUT_MAX_BYTES ? text : null, sha256: sha256Hex(text), bytes };
}

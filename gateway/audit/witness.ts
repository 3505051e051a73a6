/**
 * The signer's own memory of the last checkpoint it signed, kept outside the database (beside
 * the signing key). Someone who can write the database but not the key could otherwise delete
 * the newest checkpoints, rewrite the records after an older one, recompute the chain, and let
 * the running gateway sign over the forgery. Before signing, the checkpoint this signer last
 * made must still be in the database, byte for byte; if not, nothing more is signed.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { VerificationError } from '../schema/errors.ts';

const WitnessSchema = z.strictObject({
  index: z.number().int().positive(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  to_seq: z.number().int().positive(),
});
export type WitnessEntry = z.infer<typeof WitnessSchema>;

export interface CheckpointWitness {
  read(): WitnessEntry | undefined;
  write(entry: WitnessEntry): void;
}

/**
 * probeWitness fails unless the witness can be written where it lives (a read-only key mount,
 * say): a gateway that cannot keep its witness would sign without the check, so it does not start.
 */
export function probeWitness(file: string): void {
  const probe = `${file}.${process.pid}.probe`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(probe, '', { mode: 0o600 });
    rmSync(probe, { force: true });
  } catch (err) {
    throw new VerificationError(
      `the audit checkpoint witness ${file} cannot be written (${err instanceof Error ? err.message : String(err)}); set audit.witness to a writable file outside the database`,
    );
  }
}

/** A witness in one small JSON file, replaced atomically. */
export function fileWitness(file: string): CheckpointWitness {
  return {
    read() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      const parsed = WitnessSchema.safeParse(JSON.parse(text));
      if (!parsed.success)
        throw new VerificationError(
          `the checkpoint witness ${file} is unreadable: not signing until it is checked`,
        );
      return parsed.data;
    },
    write(entry) {
      const previous = this.read();
      // Replicas sharing the file each record their own latest; the witness only moves forward.
      if (previous && previous.index >= entry.index) return;
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
      renameSync(tmp, file);
    },
  };
}

/** Where the witness lives: beside a local key, or under ./var for keyless signing. */
export function witnessPath(signing: { type: 'key'; key: string } | { type: 'keyless' }): string {
  return signing.type === 'key'
    ? `${signing.key}.witness.json`
    : path.resolve('var', 'audit', 'witness.json');
}

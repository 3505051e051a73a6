/**
 * `policy.requireSignature` as the policy engine's seal check: the trusted keys and roots are
 * read once at start (a trust that cannot be read stops the gateway), the seal file at every
 * load, so a new seal arrives with the tree it covers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { KeyError, PolicySealError } from '../schema/errors.ts';
import { SEAL_FILE, type OpenedSeal } from '../schema/policy-seal.ts';
import { loadTrustedKey } from './keys.ts';
import { openSeal, readSeal, type SealableSource, type SealTrust } from './policy-seal.ts';

export type SealCheck = (candidate: {
  digest: string;
  sources: readonly SealableSource[];
}) => Promise<OpenedSeal>;

export interface SealGate {
  check: SealCheck;
  /** The seal file read at each load. */
  sealFile: string;
  /** The trusted signers, for logs and GET /v1/policies. */
  trusted: string[];
  /**
   * Records a seal the gateway loaded: from then on a seal made before it is refused
   * (`policy_seal_stale`), so an old tree with its genuine seal cannot be put back.
   */
  accept(signedAt: string): void;
}

type Required = NonNullable<Config['policy']['requireSignature']>;

function trustFrom(required: Required, base: string): SealTrust {
  let trustedRoot: unknown;
  if (required.trustedRoot) {
    const file = path.resolve(base, required.trustedRoot);
    try {
      trustedRoot = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (err) {
      throw new KeyError(`cannot read the Sigstore trusted root ${file}`, { cause: err });
    }
  }
  return {
    keys: required.keys.map((k) => loadTrustedKey(path.resolve(base, k))),
    identities: required.identities,
    ...(trustedRoot !== undefined ? { trustedRoot } : {}),
  };
}

/** The seal check for a configured requirement, or undefined when signatures are not required. */
export function sealGateFromConfig(
  required: Config['policy']['requireSignature'],
  policyDir: string,
  base = process.cwd(),
): SealGate | undefined {
  if (!required) return undefined;
  const trust = trustFrom(required, base);
  let floor: { at: number; iso: string } | undefined;
  const sealFile = required.seal
    ? path.resolve(base, required.seal)
    : path.join(policyDir, SEAL_FILE);
  return {
    sealFile,
    trusted: [
      ...trust.keys.map((k) => `key:${k.hint}`),
      ...trust.identities.map((i) => `keyless:${i.subjectAlternativeName} (${i.issuer})`),
    ],
    check: async (candidate) => {
      const opened = openSeal(await readSeal(sealFile), trust, candidate);
      const at = Date.parse(opened.signedAt);
      if (floor !== undefined && !(at >= floor.at))
        throw new PolicySealError(
          'policy_seal_stale',
          `the seal was made at ${opened.signedAt}, before the seal of a tree this gateway has already loaded (${floor.iso}); an older tree comes back only through a new CI run`,
        );
      return opened;
    },
    accept: (signedAt) => {
      const at = Date.parse(signedAt);
      if (Number.isFinite(at) && (floor === undefined || at > floor.at))
        floor = { at, iso: signedAt };
    },
  };
}

/** Builds the configured Signer: a local key (generated on first start if allowed) or keyless. */
import { existsSync } from 'node:fs';
import type { Config } from '../config/config.ts';
import { KeyError } from '../schema/errors.ts';
import { generateSigningKey, loadSigningKey } from './keys.ts';
import { keylessSigner, localKeySigner, type Signer } from './signer.ts';

export interface SignerSetup {
  signer: Signer;
  /** Set when this call created the key pair. */
  generated?: { privatePath: string; publicPath: string };
}

export function signerFromConfig(signing: Config['audit']['signing']): SignerSetup {
  if (signing.type === 'keyless') {
    const env = signing.identityTokenEnv;
    return {
      signer: keylessSigner({
        fulcioURL: signing.fulcioURL,
        rekorURL: signing.rekorURL,
        rekorEntryType: signing.rekorEntryType,
        identityToken: async () => {
          const token = process.env[env];
          if (!token) throw new KeyError(`keyless signing needs an OIDC identity token in $${env}`);
          return token;
        },
      }),
    };
  }
  let generated: SignerSetup['generated'];
  if (!existsSync(signing.key)) {
    if (!signing.generate)
      throw new KeyError(
        `signing key ${signing.key} does not exist (run \`interlock keys generate --out ${signing.key}\`)`,
      );
    const made = generateSigningKey(signing.key);
    generated = { privatePath: made.privatePath, publicPath: made.publicPath };
  }
  return {
    signer: localKeySigner(loadSigningKey(signing.key)),
    ...(generated ? { generated } : {}),
  };
}

/**
 * Local signing keys: ECDSA P-256, PKCS#8 / SPKI PEM files. The private key is written with
 * mode 0600, never over an existing file, and refused when other users can read it.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KeyError } from '../schema/errors.ts';

/** A key a verifier trusts, looked up by its hint (hex sha256 of the SPKI DER). */
export interface TrustedKey {
  hint: string;
  pem: string;
  der: Buffer;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: TrustedKey;
}

export function keyHint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

function trusted(key: KeyObject): TrustedKey {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new KeyError(
      'only ECDSA P-256 keys are supported (the Sigstore PKIX_ECDSA_P256_SHA_256 key type)',
    );
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return { hint: keyHint(der), pem: key.export({ type: 'spki', format: 'pem' }).toString(), der };
}

/** The public key file that goes with a private key file: `x.key` → `x.pub.pem`. */
export function publicKeyPathFor(privatePath: string): string {
  return privatePath.replace(/(\.key|\.pem)?$/, '.pub.pem');
}

export interface GeneratedKey {
  privatePath: string;
  publicPath: string;
  hint: string;
}

export function generateSigningKey(
  privatePath: string,
  publicPath = publicKeyPathFor(privatePath),
): GeneratedKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  mkdirSync(path.dirname(path.resolve(privatePath)), { recursive: true });
  const pub = trusted(publicKey);
  try {
    // 'wx' fails if the file exists, so an existing key is never replaced.
    writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      flag: 'wx',
      mode: 0o600,
    });
  } catch (err) {
    throw new KeyError(`${privatePath} already exists; refusing to overwrite a key`, {
      cause: err,
    });
  }
  try {
    writeFileSync(publicPath, pub.pem, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    throw new KeyError(`${publicPath} already exists; refusing to overwrite a key`, { cause: err });
  }
  return { privatePath, publicPath, hint: pub.hint };
}

export function loadSigningKey(privatePath: string): SigningKey {
  let mode: number;
  let pem: string;
  try {
    mode = statSync(privatePath).mode;
    pem = readFileSync(privatePath, 'utf8');
  } catch (err) {
    throw new KeyError(
      `cannot read signing key ${privatePath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { cause: err },
    );
  }
  // Like ssh: a private key others can read is not private any more.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KeyError(
      `signing key ${privatePath} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new KeyError(`${privatePath} is not a PEM private key`, { cause: err });
  }
  return { privateKey, publicKey: trusted(createPublicKey(privateKey)) };
}

export function loadTrustedKey(file: string): TrustedKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyError(
      `cannot read public key ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { cause: err },
    );
  }
  // createPublicKey would quietly derive a public key from a private one; keep private keys out of
  // verifiers' hands.
  if (pem.includes('PRIVATE KEY'))
    throw new KeyError(`${file} holds a private key; pass the public key (.pub.pem)`);
  try {
    return trusted(createPublicKey(pem));
  } catch (err) {
    if (err instanceof KeyError) throw new KeyError(`${file}: ${err.message}`);
    throw new KeyError(`${file} is not a PEM public key`, { cause: err });
  }
}

/**
 * One captured output stream: the first `cap` bytes kept, every byte hashed. The stream is
 * drained to its end whatever its size, so a loud command is neither killed nor blocked on a
 * full pipe, and the sha256 binds the whole stream, not just the part that was kept.
 */
import { createHash, type Hash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

export interface CapturedStream {
  /** The kept bytes as UTF-8 text (a character cut by the cap is dropped, not mangled). */
  text: string;
  truncated: boolean;
  /** sha256 (hex) of every byte the stream carried. */
  sha256: string;
  /** How many bytes the stream carried. */
  bytes: number;
}

export class StreamCapture {
  readonly #cap: number;
  readonly #kept: Buffer[] = [];
  readonly #hash: Hash = createHash('sha256');
  #keptBytes = 0;
  #total = 0;

  constructor(capBytes: number) {
    this.#cap = capBytes;
  }

  push(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.#total += chunk.length;
    const room = this.#cap - this.#keptBytes;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.#kept.push(Buffer.from(part));
    this.#keptBytes += part.length;
  }

  /** The capture so far; call once the stream has ended. */
  result(): CapturedStream {
    const truncated = this.#total > this.#keptBytes;
    const decoder = new StringDecoder('utf8');
    // write() holds back an incomplete trailing character; end() would turn it into U+FFFD.
    const head = decoder.write(Buffer.concat(this.#kept, this.#keptBytes));
    const text = truncated ? head : head + decoder.end();
    return { text, truncated, sha256: this.#hash.copy().digest('hex'), bytes: this.#total };
  }
}

/**
 * Request bodies read straight from Node's IncomingMessage, within the body limit.
 *
 * Under @hono/node-server, the first touch of `c.req.raw.body` (Hono's bodyLimit does that)
 * builds a full WHATWG Request with a web stream and an AbortController around the Node
 * request: about a tenth of a proposal's CPU time, for bodies of a few hundred bytes. Reading
 * the Node stream ourselves and handing Hono the bytes through its body cache gives routes,
 * validators and the Unicode check the same body without building that Request.
 *
 * Only the API's paths (`/v1/…`) are read here, after authentication. Elsewhere (the console's
 * forms, the MCP front door, whose SDK transport reads the raw Request) and where there is no
 * Node request (an in-process `app.request()`), Hono's own bodyLimit runs instead.
 */
import { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { ValidationError } from '../schema/errors.ts';

/** What Hono's body cache holds at run time (its declared type names the resolved values). */
interface PromisedBodies {
  text?: Promise<string>;
  arrayBuffer?: Promise<ArrayBuffer>;
}

export function nodeRequestOf(c: Context): IncomingMessage | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  return env.incoming instanceof IncomingMessage ? env.incoming : undefined;
}

/**
 * The body of `incoming`, or undefined once it passes `maxBytes` (the rest is left unread).
 * Rejects when the client goes away before the body ends.
 */
export function readCapped(
  incoming: IncomingMessage,
  maxBytes: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        incoming.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(
        new ValidationError('the client closed the connection before the body ended', [
          { field: '(body)', message: 'incomplete' },
        ]),
      );
    };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onError);
    incoming.once('close', onClose);
  });
}

export interface NodeBodyOptions {
  maxBytes: number;
  tooLarge: (c: Context) => Response | Promise<Response>;
  /** Paths whose bodies are read here (after authentication); others go to `otherwise`. */
  readsHere: (path: string) => boolean;
  /** Runs, before authentication, where the body is not read here. */
  otherwise: MiddlewareHandler;
}

/**
 * Two middlewares. `limit`, mounted before authentication, refuses a declared length over the
 * limit without reading anything (as Hono's bodyLimit does) and hands other paths to
 * `otherwise`. `read`, mounted after authentication, reads the body: a request without a valid
 * token is answered 401 before a byte of its body is waited for.
 */
export function nodeBodyLimit(options: NodeBodyOptions): {
  limit: MiddlewareHandler;
  read: MiddlewareHandler;
} {
  const { maxBytes, tooLarge, readsHere, otherwise } = options;
  const readable = (c: Context): IncomingMessage | undefined => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || !readsHere(c.req.path))
      return undefined;
    const incoming = nodeRequestOf(c);
    return incoming && !incoming.readableDidRead ? incoming : undefined;
  };
  return {
    limit: async (c, next) => {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
      const incoming = readable(c);
      if (!incoming) return otherwise(c, next);
      const declared = incoming.headers['content-length'];
      if (
        declared !== undefined &&
        incoming.headers['transfer-encoding'] === undefined &&
        Number(declared) > maxBytes
      )
        return tooLarge(c);
      return next();
    },
    read: async (c, next) => {
      const incoming = readable(c);
      if (!incoming) return next();
      const bytes = await readCapped(incoming, maxBytes);
      if (bytes === undefined) return tooLarge(c);
      const cache = c.req.bodyCache as PromisedBodies;
      // TextDecoder decodes as Request.text() does: replacement characters, a leading BOM dropped.
      cache.text = Promise.resolve(new TextDecoder().decode(bytes));
      cache.arrayBuffer = Promise.resolve(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      );
      return next();
    },
  };
}

/** Loopback helpers the benchmarks and tests share: a free port, and waiting for a server to answer. */
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A loopback port nothing listens on, released before it is returned. */
export async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Polls `url` every 100 ms until it answers 2xx; throws after `attempts` tries. */
export async function waitFor(url: string, attempts = 300): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

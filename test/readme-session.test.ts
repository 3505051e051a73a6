/**
 * The README's first session, run exactly as written (only the port differs) against a real
 * gateway started as the quick start starts it (`interlock serve` on the embedded default),
 * in a directory of its own. If the README drifts from the product, this fails.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../gateway/paths.ts';

/** The shell block under "## A first session". */
export function firstSession(readme: string): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith('A first session'));
  const block = section?.match(/```sh\n([\s\S]*?)```/);
  if (!block?.[1]) throw new Error('README.md has no ```sh block under "## A first session"');
  return block[1];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

const dir = mkdtempSync(path.join(tmpdir(), 'interlock-readme-'));
let gateway: ResultPromise | undefined;
afterAll(async () => {
  gateway?.kill('SIGTERM');
  await gateway?.catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('the README', () => {
  it('runs its first session as written and prints what it says it prints', async () => {
    // A directory like a fresh checkout's: the package (for `npx interlock`), its modules and
    // tools.
    copyFileSync(path.join(projectRoot, 'package.json'), path.join(dir, 'package.json'));
    for (const entry of ['bin', 'node_modules', '.tools'])
      symlinkSync(path.join(projectRoot, entry), path.join(dir, entry));
    const port = await freePort();
    // node runs the same bin `npx interlock` runs; npx itself would not pass a signal on.
    gateway = execa(
      process.execPath,
      [path.join(dir, 'bin', 'interlock.js'), 'serve', '--port', String(port)],
      { cwd: dir, reject: false },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      gateway!.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('interlock listening')) resolve();
      });
      void gateway!.then((r) => reject(new Error(`the gateway exited: ${String(r.stderr)}`)));
    });

    const script = firstSession(
      readFileSync(path.join(projectRoot, 'README.md'), 'utf8'),
    ).replaceAll('localhost:8080', `localhost:${port}`);
    const run = await execa('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: dir,
      reject: false,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual([
      'PENDING_APPROVAL',
      'PENDING_APPROVAL',
      'APPROVED',
      'COMPLETED',
      expect.stringMatching(/^params\.value: .*100/),
    ]);
  }, 120_000);
});

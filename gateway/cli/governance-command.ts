/**
 * `interlock governance run-cycle`: asks a running gateway to run the governance cycle for a
 * target.
 */
import { parseArgs } from 'node:util';
import { InterlockError } from '../schema/errors.ts';
import { UsageError } from './args.ts';

export const governanceUsage = `  interlock governance run-cycle --target T [--url URL] [--token TOKEN]
      Run the governance cycle on a running gateway (URL and admin token default to
      $INTERLOCK_URL and $INTERLOCK_TOKEN); prints the report, exit 0 either way, 1 on an error.`;

export async function runGovernanceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'run-cycle') throw new UsageError(`usage:\n${governanceUsage}`);
  const { values } = parseArgs({
    args: rest,
    options: { target: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' } },
    strict: true,
  });
  if (!values.target) throw new UsageError('--target is required');
  const url = values.url ?? process.env.INTERLOCK_URL ?? 'http://127.0.0.1:8080';
  const token = values.token ?? process.env.INTERLOCK_TOKEN;
  if (!token) throw new UsageError('an admin token is required (--token or $INTERLOCK_TOKEN)');
  let res: Response;
  try {
    res = await fetch(`${url}/v1/governance/run-cycle`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: values.target }),
    });
  } catch (err) {
    throw new InterlockError(
      'internal',
      `cannot reach the gateway at ${url}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const body = (await res.json()) as {
    error?: { message: string };
    decision?: { propose: boolean; reasons: string[] };
    proposal?: { id: string; to: string } | null;
  };
  if (!res.ok)
    throw new InterlockError(
      'internal',
      `the gateway answered ${res.status}: ${body.error?.message ?? 'no message'}`,
    );
  console.log(JSON.stringify(body, null, 2));
  console.error(
    body.decision?.propose
      ? `proposed ${body.proposal?.to} (proposal ${body.proposal?.id})`
      : `no proposal: ${body.decision?.reasons.join('; ')}`,
  );
  return 0;
}

/**
 * wrk (Debian's) as the load generator of the HTTP benchmarks: one POST body, fixed
 * connections and duration, its own latency percentiles.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export const CONNECTIONS = 16;
export const SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 10);

export interface WrkRun {
  endpoint: string;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errors: number;
}

export async function wrkVersion(): Promise<string> {
  const first = (await execa('wrk', ['-v'], { reject: false })).stdout.split('\n')[0] ?? '';
  return first.split(' [')[0] ?? first;
}

/** ms from wrk's "12.34ms" / "850.00us" / "1.02s". */
function wrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) throw new Error(`unreadable wrk duration ${text}`);
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export async function wrk(
  dir: string,
  name: string,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<WrkRun> {
  const script = path.join(dir, `${name}.lua`);
  const lua = [
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(body)}`,
    ...Object.entries(headers).map(
      ([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`,
    ),
  ];
  writeFileSync(script, `${lua.join('\n')}\n`);
  const out = (
    await execa('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', script, url])
  ).stdout;
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out);
    if (!m) throw new Error(`wrk printed no ${p}th percentile:\n${out}`);
    return Math.round(wrkDuration(m[1]!) * 100) / 100;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  return {
    endpoint: name,
    requests,
    requestsPerSecond: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)),
    p50Ms: pct('50'),
    p90Ms: pct('90'),
    p99Ms: pct('99'),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

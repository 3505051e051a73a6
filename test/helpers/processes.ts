/**
 * Gateway processes for replica, crash and scaling runs: each is a real `interlock serve`
 * child process with its own port, sharing whatever database its config names.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { stringify as toYaml } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/interlock.js');

export interface GatewayProcess {
  url: string;
  /** Printed on a first start against an empty database only. */
  adminToken?: string;
  proc: ResultPromise;
  /** SIGKILL: no shutdown, no final checkpoint. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful shutdown. */
  stop(): Promise<void>;
}

export async function spawnGateway(
  configFile: string,
  env: Record<string, string> = {},
  port = 0,
): Promise<GatewayProcess> {
  const proc = execa('node', [BIN, 'serve', '--config', configFile, '--port', String(port)], {
    cwd: path.dirname(configFile),
    env: { INTERLOCK_LOG_LEVEL: 'warn', ...env },
    reject: false,
    buffer: false,
    stdin: 'ignore',
  });
  let out = '';
  const started = new Promise<{ url: string; adminToken?: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start within 60 s:\n${out}`)),
      60_000,
    );
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /interlock listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        const token = /INTERLOCK_TOKEN=(\S+)/.exec(out)?.[1];
        resolve({ url: m[1], ...(token ? { adminToken: token } : {}) });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
    void proc.then((r) => {
      clearTimeout(timer);
      reject(
        new Error(`gateway exited (${String(r.exitCode ?? r.signal)}) before listening:\n${out}`),
      );
    });
  });
  const { url, adminToken } = await started;
  const wait = async (): Promise<void> => {
    await proc;
  };
  return {
    url,
    ...(adminToken ? { adminToken } : {}),
    proc,
    kill: async () => {
      proc.kill('SIGKILL');
      await wait();
    },
    stop: async () => {
      proc.kill('SIGTERM');
      await wait();
    },
  };
}

export interface ReplicaSetup {
  dir: string;
  configFile: string;
  publicKey: string;
}

/**
 * A config for gateways sharing one database. `policy: 'load'` swaps in roomy rate limits and
 * no invariants, for runs that drive thousands of actions at one target on purpose.
 */
export function replicaConfig(options: {
  databaseUrl: string;
  targets: unknown[];
  policy?: 'shipped' | 'load';
  extra?: Record<string, unknown>;
}): ReplicaSetup {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-replicas-'));
  let policyDir = path.join(ROOT, 'policies');
  let invariantsDir = path.join(ROOT, 'invariants');
  if (options.policy === 'load') {
    policyDir = path.join(dir, 'policies');
    cpSync(path.join(ROOT, 'policies'), policyDir, { recursive: true });
    writeFileSync(
      path.join(policyDir, 'rate-limits.yaml'),
      toYaml({
        rate_limits: [
          {
            id: 'actor_actions_per_minute',
            kinds: ['*'],
            per: ['actor'],
            max: 1_000_000,
            window_seconds: 60,
          },
        ],
      }),
    );
    invariantsDir = path.join(dir, 'invariants');
    mkdirSync(invariantsDir);
  }
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    database: { url: options.databaseUrl },
    policyDir,
    invariantsDir,
    targets: options.targets,
    executor: { pollMs: 50, backoffMs: 10, leaseMs: 3000 },
    sweepMs: 100,
    audit: {
      checkpoint: { every: 500, intervalMs: 1000 },
      signing: { type: 'key', key: path.join(dir, 'keys/audit.key') },
    },
    ...options.extra,
  };
  const configFile = path.join(dir, 'interlock.yaml');
  writeFileSync(configFile, toYaml(config));
  return { dir, configFile, publicKey: path.join(dir, 'keys/audit.pub.pem') };
}

/**
 * One JSON call: bearer token, JSON body (a string is sent as is), the body parsed when it is JSON.
 */
export async function api<T = Record<string, unknown>>(
  base: string,
  token: string | undefined,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (event stream, empty)
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/**
 * Gateway configuration: `interlock.yaml`, validated by zod. Every field has a default, so
 * with no file at all the gateway runs the embedded setup: SQLite under ./var/, one
 * simulated roaster `roaster-1`, level L3.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseYaml } from '../schema/yaml.ts';
import { z } from 'zod';
import { describeIssues, fieldIssues, ValidationError } from '../schema/errors.ts';
import { NotificationsSchema } from './notifications.ts';

const TargetSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/)
    .max(128),
  driver: z.string().min(1),
  level: z.string().default('L3'),
  /** Driver-specific; each driver validates its own options. */
  options: z.record(z.string(), z.unknown()).default({}),
});

export const ConfigSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .max(16 * 1024 * 1024)
        .default(64 * 1024),
    })
    .prefault({}),
  database: z
    .strictObject({
      url: z.string().min(1).default('sqlite:./var/interlock.db'),
      /**
       * SQLite: `full` syncs the log at every commit, so an acknowledged request survives a
       * power loss; `normal` survives a crash of the process only (faster, not durable).
       */
      synchronous: z.enum(['full', 'normal']).default('full'),
      /** Concurrent requests' transactions commit together (docs/operating.md#group-commit). */
      groupCommit: z
        .strictObject({
          /** How long a group's first request waits for others; 0 groups what is queued. */
          maxWaitMs: z.number().min(0).max(50).default(0),
          /** The largest group; 1 turns group commit off. */
          maxBatch: z.number().int().min(1).max(1000).default(64),
        })
        .prefault({}),
    })
    .prefault({}),
  policyDir: z.string().optional(),
  policy: z
    .strictObject({
      /**
       * Load only a policy tree that a trusted signer sealed (`interlock ci --sign-bundle`): the
       * seal must verify and cover exactly the tree's sources, at start and at every reload.
       */
      requireSignature: z
        .strictObject({
          /** Public keys (PEM files) whose seals are trusted. */
          keys: z.array(z.string().min(1)).default([]),
          /** Keyless signers: a certificate identity and its OIDC issuer, each pair trusted. */
          identities: z
            .array(
              z.strictObject({
                subjectAlternativeName: z.string().min(1),
                issuer: z.string().min(1),
              }),
            )
            .default([]),
          /** The Sigstore trusted root (JSON file) keyless seals are verified against. */
          trustedRoot: z.string().min(1).optional(),
          /** The seal file; default `policy.sigstore.json` in the policy directory. */
          seal: z.string().min(1).optional(),
        })
        .refine((r) => r.keys.length > 0 || r.identities.length > 0, {
          message: 'list at least one trusted key or keyless identity',
          path: ['keys'],
        })
        .refine((r) => r.identities.length === 0 || r.trustedRoot !== undefined, {
          message: 'keyless identities need a trustedRoot to verify against',
          path: ['trustedRoot'],
        })
        .optional(),
    })
    .prefault({}),
  /** Recompile and swap the policy bundle when its files change. */
  watchPolicies: z.boolean().default(false),
  autonomy: z.strictObject({ ceiling: z.string().default('L5') }).prefault({}),
  /** The MCP front door at /mcp: how long a tool call waits for its approval and execution. */
  mcp: z
    .strictObject({
      waitMs: z.number().int().min(0).max(3_600_000).default(60_000),
      progressEveryMs: z.number().int().min(100).max(60_000).default(5_000),
      /**
       * Calls one principal may have waiting at once; beyond, a held call answers "pending" at
       * once. Each action has at most one waiting call: a replay of its key while one waits
       * answers at once too.
       */
      maxWaitsPerPrincipal: z.number().int().min(0).max(10_000).default(16),
    })
    .prefault({}),
  targets: z
    .array(TargetSchema)
    .min(1)
    .default([
      {
        id: 'roaster-1',
        driver: 'sim-roaster',
        level: 'L3',
        options: { journalFile: './var/sim-roaster-1.jsonl' },
      },
    ]),
  batches: z
    .strictObject({ maxActions: z.number().int().min(1).max(1000).default(10) })
    .prefault({}),
  executor: z
    .strictObject({
      retries: z.number().int().min(0).max(10).default(3),
      backoffMs: z.number().int().min(1).max(60_000).default(100),
      pollMs: z.number().int().min(10).max(60_000).default(200),
      /** An EXECUTING action whose lease lapses is presumed orphaned and reconciled. */
      leaseMs: z.number().int().min(500).max(600_000).default(3000),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /**
       * A checkpoint signs the records since the last one as soon as `every` are waiting, or after
       * `intervalMs` when any are. Records after the last checkpoint are protected only by the hash
       * chain, which someone with write access to the database can recompute; the interval bounds
       * that window. 1000 records keep inclusion proofs at 10 hashes.
       */
      checkpoint: z
        .strictObject({
          every: z.number().int().min(1).max(100_000).default(1000),
          intervalMs: z.number().int().min(100).max(3_600_000).default(10_000),
        })
        .prefault({}),
      signing: z
        .discriminatedUnion('type', [
          z.strictObject({
            type: z.literal('key'),
            /**
             * ECDSA P-256 private key (PKCS#8 PEM); its public key is `<name>.pub.pem` beside it.
             */
            key: z.string().min(1).default('./var/keys/audit.key'),
            /** Generate the key pair on first start when the file does not exist. */
            generate: z.boolean().default(true),
          }),
          z.strictObject({
            type: z.literal('keyless'),
            fulcioURL: z.url().default('https://fulcio.sigstore.dev'),
            rekorURL: z.url().default('https://rekor.sigstore.dev'),
            /** Environment variable holding the OIDC identity token. */
            identityTokenEnv: z.string().default('SIGSTORE_ID_TOKEN'),
            rekorEntryType: z.enum(['dsse', 'intoto']).default('dsse'),
          }),
        ])
        .prefault({ type: 'key' }),
      /**
       * The signer's record of its last checkpoint, outside the database: default
       * `<key>.witness.json` (keyless: var/audit/witness.json).
       */
      witness: z.string().min(1).optional(),
    })
    .prefault({}),
  /** The time zone of `clock` in decisions (time-of-day invariants), an IANA name. */
  timezone: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'an IANA time zone such as UTC or Europe/Berlin'),
  /** Where the YAML invariants live; they compile into the policy bundle. */
  invariantsDir: z.string().optional(),
  governance: z
    .strictObject({
      /** Circuit breakers are evaluated after every execution outcome and on this timer. */
      breakerIntervalMs: z.number().int().min(100).max(3_600_000).default(30_000),
      /** The readiness checklist (YAML); the shipped 80-point one by default. */
      checklist: z.string().optional(),
    })
    .prefault({}),
  console: z
    .strictObject({
      /** A console session ends this long after login, whatever happens. */
      sessionTtlMs: z
        .number()
        .int()
        .min(60_000)
        .max(7 * 86_400_000)
        .default(8 * 3_600_000),
      /** …and this long after its last request. */
      idleTimeoutMs: z
        .number()
        .int()
        .min(60_000)
        .max(86_400_000)
        .default(30 * 60_000),
      /**
       * Secure cookies: `auto` sets the flag when the request arrived over TLS (or a proxy says
       * so).
       */
      secureCookies: z.enum(['auto', 'always', 'never']).default('auto'),
      /**
       * Failed logins allowed per client address, and per token prefix, in one window; then 429.
       */
      loginFailures: z.number().int().min(1).max(10_000).default(10),
      /**
       * The throttle's window, which is also how often refused logins are audited (one record per
       * client).
       */
      loginWindowMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
    })
    .prefault({}),
  /** Webhooks, Slack and email for events that need people (docs/notifications.md). */
  notifications: NotificationsSchema.prefault({}),
  /** How often pending approvals and veto windows are checked against the clock. */
  sweepMs: z.number().int().min(10).max(60_000).default(250),
});

export type Config = z.output<typeof ConfigSchema>;
export type TargetConfig = z.output<typeof TargetSchema>;

/** loadConfig reads the file if it exists (an explicit path must exist) and applies defaults. */
export function loadConfig(file: string | undefined, cwd = process.cwd()): Config {
  const chosen = file ?? path.join(cwd, 'interlock.yaml');
  let raw: unknown = {};
  if (existsSync(chosen)) {
    try {
      raw = parseYaml(readFileSync(chosen, 'utf8'), chosen) ?? {};
    } catch (err) {
      // The message names the file, line and column (schema/yaml.ts).
      throw new ValidationError(err instanceof Error ? err.message : String(err), [
        { field: '(file)', message: 'not valid YAML' },
      ]);
    }
  } else if (file) {
    throw new ValidationError(`config file ${file} does not exist`, [
      { field: '--config', message: 'no such file' },
    ]);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error.issues, [], '(root)');
    throw new ValidationError(`${chosen}: ${describeIssues(issues)}`, issues);
  }
  // The twelve-factor override: DATABASE_URL=postgres://… selects PostgreSQL without editing the file.
  if (process.env.DATABASE_URL) parsed.data.database.url = process.env.DATABASE_URL;
  const ids = parsed.data.targets.map((t) => t.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup)
    throw new ValidationError(`${chosen}: target ${dup} is configured twice`, [
      { field: 'targets', message: `duplicate id ${dup}` },
    ]);
  return parsed.data;
}

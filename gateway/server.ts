/**
 * Starts and stops a whole gateway: database, policy engine, drivers, executor, clock
 * sweeps and the HTTP server. Used by `interlock serve` and by the end-to-end tests.
 */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { pino, type Logger } from 'pino';
import { Checkpointer } from './audit/checkpointer.ts';
import { bootstrapAdmin, type CreatedToken } from './auth/tokens.ts';
import type { Config } from './config/config.ts';
import { Executor } from './executor/executor.ts';
import { createApp } from './http/app.ts';
import { consoleApp } from '../console/app.tsx';
import { DEFAULT_THROTTLE, LoginThrottle } from '../console/login-throttle.ts';
import type { ReadyReport, Services } from './http/services.ts';
import type { Deps } from './lifecycle/deps.ts';
import { EventBus } from './lifecycle/events.ts';
import { EventRelay } from './store/event-relay.ts';
import { every, sweep } from './lifecycle/sweeper.ts';
import { ReadinessWatch, type ReadinessProbe } from './lifecycle/readiness-watch.ts';
import { unattendedStamper } from './lifecycle/unattended-stamp.ts';
import {
  defaultCacheDir,
  defaultChecklist,
  defaultInvariantsDir,
  defaultPolicyDir,
} from './paths.ts';
import { invariantSources } from './invariants/compile.ts';
import { evaluateBreakers, listRules, seedRules } from './governance/breakers.ts';
import { loadChecklist } from './governance/readiness.ts';
import { Metrics } from './metrics/registry.ts';
import { NotificationWorker } from './notify/worker.ts';
import { sinksFromConfig } from './notify/sinks/index.ts';
import { PolicyEngine, type ReloadResult, type ReloadTrigger } from './policy/engine.ts';
import { reloadAuditPayload } from './policy/reload-audit.ts';
import { sealGateFromConfig, type SealGate } from './signing/seal-gate.ts';
import { recordAudit } from './lifecycle/audit.ts';
import type { EngineFault } from './policy/healing-instance.ts';
import { databaseAnswers, openDatabase, type Db } from './store/db.ts';
import { GroupCommitter } from './store/group-commit.ts';
import { signerFromConfig } from './signing/from-config.ts';
import { latestRecordsOfType } from './store/audit-log.ts';
import { z } from 'zod';
import { fileWitness, probeWitness, witnessPath } from './audit/witness.ts';
import { createTargets, type Target } from './targets.ts';

export interface GatewayHandle {
  url: string;
  port: number;
  services: Services;
  engine: PolicyEngine;
  /** Set on a first start with no tokens: shown once, never stored in clear. */
  bootstrapToken?: CreatedToken;
  /** Writes the refused-login counts now, closed windows or not (tests, operators' tools). */
  flushLoginRefusals(): Promise<number>;
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  now?: () => number;
}

export async function startGateway(
  config: Config,
  options: StartOptions = {},
): Promise<GatewayHandle> {
  const log = options.log ?? pino({ level: process.env.INTERLOCK_LOG_LEVEL ?? 'info' });
  const { signing, witnessFile } = auditSigning(config, log);
  // Trust that cannot be read stops the start, before anything opens.
  const sealGate = sealGateFromConfig(
    config.policy.requireSignature,
    policyTreeOf(config).policyDir,
  );
  // Notification sinks read their secrets now: a missing one stops the start, not every delivery.
  const sinks = sinksFromConfig(config.notifications.sinks);
  const stamper = unattendedStamper(config.notifications.unattended, config.timezone);
  const { db, dialect, close, pool } = await openDatabase(config.database.url, {
    synchronous: config.database.synchronous,
    ...(stamper ? { auditStamper: stamper } : {}),
    onIdleError: (err) =>
      log.warn({ err: err.message }, 'database connection dropped; it will be reopened'),
  });
  // Set once the metrics and the database are up: what happens when an engine instance fails.
  let engineFault: (fault: EngineFault) => void = (fault) =>
    log.error({ fault }, 'policy engine instance replaced after a failure');
  // Set once the database is up: what a load that a file change started leaves in the audit log.
  let auditWatchLoad: (result: ReloadResult, before: string | null) => void = () => undefined;
  // The newest seal this gateway (or a replica) loaded before: older ones are refused.
  if (sealGate) {
    const last = await lastLoadedSeal(db);
    if (last) sealGate.accept(last);
  }
  const { engine, first } = await startEngine(
    config,
    log,
    (fault) => engineFault(fault),
    sealGate,
    (result, before) => auditWatchLoad(result, before),
  );
  const targets = await connectTargets(config, log);
  const bootstrapToken = await bootstrapAdmin(db);

  const deps: Deps = {
    db,
    dialect,
    policy: () => engine.current,
    targets,
    events: new EventBus(),
    config,
    now: options.now ?? Date.now,
    ...(config.database.groupCommit.maxBatch > 1
      ? { commits: new GroupCommitter(db, config.database.groupCommit) }
      : {}),
  };
  // Replicas on PostgreSQL hear each other's events (console streams, executor kicks).
  const relay = pool
    ? new EventRelay(config.database.url, deps.events, pool, (err) =>
        log.warn({ err: err.message }, 'event relay'),
      )
    : undefined;
  await relay?.start();
  const auditLoad = (result: ReloadResult, before: string | null, trigger: ReloadTrigger) =>
    recordAudit(deps, [
      {
        type: 'policy.reload',
        actor: 'gateway',
        payload: reloadAuditPayload(result, before, trigger),
      },
    ]);
  auditWatchLoad = (result, before) =>
    void auditLoad(result, before, 'watch').catch((err: unknown) =>
      log.error({ err }, 'could not audit a policy load'),
    );
  // The first load, refused or not, is on the record like every later one; only then may file
  // changes reload, so none goes unrecorded.
  await auditLoad(first, null, 'start');
  if (config.watchPolicies) engine.watch();
  await seedRules(db, deps.now());
  const evaluateTarget = async (target: string): Promise<void> => {
    for (const e of await evaluateBreakers(deps, target))
      log.warn(
        { rule: e.rule, target: e.target, action: e.action, severity: e.severity },
        'circuit breaker tripped',
      );
  };
  const executor = new Executor(deps, {
    onError: (err) => log.error({ err }, 'executor error'),
    afterOutcome: evaluateTarget,
  });
  await executor.start();
  const stopSweep = every(
    config.sweepMs,
    () => sweep(deps),
    (err) => log.error({ err }, 'sweep error'),
  );
  const checkpointer = new Checkpointer(db, signing.signer, {
    every: config.audit.checkpoint.every,
    intervalMs: config.audit.checkpoint.intervalMs,
    now: deps.now,
    onError: (err) => log.error({ err }, 'audit checkpoint failed'),
    witness: fileWitness(witnessFile),
  });
  await checkpointer.start();

  const ready = (): Promise<ReadyReport> => readiness(db, targets, engine, executor.id);
  const stopBreakers = every(
    config.governance.breakerIntervalMs,
    async () => {
      for (const id of targets.keys()) await evaluateTarget(id);
    },
    (err) => log.error({ err }, 'circuit breaker evaluation failed'),
  );
  const readinessWatch = new ReadinessWatch(
    deps,
    async () => failingChecks(await ready()),
    executor.id,
  );
  const stopReadinessWatch = every(
    config.notifications.readinessCheckMs,
    () => readinessWatch.check(),
    (err) => log.warn({ err }, 'could not record a readiness change; the next check tries again'),
  );
  const metrics = new Metrics(deps);
  metrics.start();
  metrics.seedBreakerSeries(await listRules(deps.db));
  metrics.seedNotificationSeries([...sinks.keys()]);
  const notifier = new NotificationWorker(deps, sinks, {
    attempt: (sink, outcome) => metrics.notificationAttempt(sink, outcome),
  });
  notifier.start();
  engineFault = (fault) => {
    metrics.engineRebuilt();
    log.error({ fault }, 'policy engine instance replaced after a failure');
    // Audited off the decision path: the failing decision has already been denied.
    void recordAudit(deps, [
      {
        type: 'engine.rebuilt',
        actor: 'gateway',
        payload: { policy_digest: fault.digest, error: fault.error.toWellFormed().slice(0, 500) },
      },
    ]).catch((err: unknown) => log.error({ err }, 'could not audit the engine rebuild'));
  };
  const checklist = loadChecklist(path.resolve(config.governance.checklist ?? defaultChecklist));
  const services: Services = {
    deps,
    executor,
    log,
    ready,
    policy: engine,
    ...(sealGate
      ? { policySignature: { trusted: sealGate.trusted, sealFile: sealGate.sealFile } }
      : {}),
    policyTree: policyTreeOf(config),
    governance: { metrics, checklist, signer: signing.signer },
  };
  const app = createApp(services);
  // The composition root mounts the console: it sits above gateway/http in the dependency order.
  const loginThrottle = new LoginThrottle({
    ...DEFAULT_THROTTLE,
    maxFailures: config.console.loginFailures,
    windowMs: config.console.loginWindowMs,
  });
  app.route('/console', consoleApp(services, loginThrottle));
  const stopLoginAudit = every(
    config.console.loginWindowMs,
    () => loginThrottle.flush(deps, deps.now()),
    (err) => log.error({ err }, 'login refusal audit error'),
  );
  app.get('/', (c) => c.redirect('/console', 302));
  // Browsers ask for /favicon.ico whatever the page links; the console's icon is an SVG.
  app.get('/favicon.ico', (c) => c.redirect('/console/static/favicon.svg', 301));

  // Shutdown, shared by stop() and a start that fails to listen.
  const stopTimers = (): void => {
    stopLoginAudit();
    stopReadinessWatch();
    stopSweep();
    stopBreakers();
    metrics.stop();
  };
  const release = async (): Promise<void> => {
    await relay?.stop();
    await executor.stop();
    await notifier.stop();
    await loginThrottle
      .flush(deps, deps.now(), { all: true })
      .catch((err: unknown) => log.error({ err }, 'login refusal audit error'));
    // Everything recorded up to shutdown leaves signed.
    await checkpointer.stop();
    for (const t of targets.values()) await t.driver.disconnect().catch(() => undefined);
    engine.close();
    await close();
  };
  let server: ServerType;
  try {
    server = await listen(app.fetch, config);
  } catch (err) {
    stopTimers();
    await release();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`;
  log.info({ url, targets: [...targets.keys()], database: dialect }, 'interlock gateway listening');

  return {
    url,
    port,
    services,
    engine,
    ...(bootstrapToken ? { bootstrapToken } : {}),
    flushLoginRefusals: () => loginThrottle.flush(deps, deps.now(), { all: true }),
    async stop() {
      stopTimers();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams would hold close() forever.
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await release();
    },
  };
}

/**
 * The signing key and the checkpoint witness are checked before anything starts: a gateway that
 * cannot sign its audit log, or whose witness is not writable, does not run.
 */
function auditSigning(
  config: Config,
  log: Logger,
): { signing: ReturnType<typeof signerFromConfig>; witnessFile: string } {
  const signing = signerFromConfig(config.audit.signing);
  const witnessFile = config.audit.witness ?? witnessPath(config.audit.signing);
  probeWitness(witnessFile);
  if (signing.generated)
    log.warn(
      { privateKey: signing.generated.privatePath, publicKey: signing.generated.publicPath },
      'generated an audit signing key; give auditors the public key and keep the private key away from the database',
    );
  return { signing, witnessFile };
}

/** The configured policy tree and invariants folder. */
function policyTreeOf(config: Config): { policyDir: string; invariantsDir: string } {
  return {
    policyDir: path.resolve(config.policyDir ?? defaultPolicyDir),
    invariantsDir: path.resolve(config.invariantsDir ?? defaultInvariantsDir),
  };
}

/** The policy engine on the configured policies and invariants, with its first bundle loaded. */
async function startEngine(
  config: Config,
  log: Logger,
  onFault: (fault: EngineFault) => void,
  sealGate: SealGate | undefined,
  onWatchLoad: (result: ReloadResult, before: string | null) => void,
): Promise<{ engine: PolicyEngine; first: ReloadResult }> {
  const { policyDir, invariantsDir } = policyTreeOf(config);
  const engine = new PolicyEngine({
    onFault,
    policyDir,
    cacheDir: defaultCacheDir,
    generate: () => invariantSources(invariantsDir, policyDir),
    watchDirs: [invariantsDir],
    ...(sealGate ? { openSeal: sealGate.check } : {}),
    onReload: (r, trigger, before) => {
      if (r.ok && r.seal) sealGate?.accept(r.seal.signedAt);
      if (r.ok)
        log.info(
          {
            digest: r.digest,
            ms: r.durationMs,
            shellAnalysis: r.shellAnalysis,
            ...(r.seal ? { signer: r.seal.signer } : {}),
          },
          'policy bundle loaded',
        );
      else
        log.error(
          { error: r.error, candidate: r.candidate },
          'policy bundle refused; the previous bundle stays in force',
        );
      // Requests audit their own reloads, with who asked; the start is audited once the
      // database is up.
      if (trigger === 'watch') onWatchLoad(r, before);
    },
  });
  if (sealGate)
    log.info(
      { sealFile: sealGate.sealFile, trusted: sealGate.trusted },
      'policy signature required',
    );
  // A policy that does not compile, or is not sealed when a seal is required, leaves no bundle:
  // every decision denies and /ready says so.
  const first = await engine.reload('start');
  return { engine, first };
}

const LoadedSealSchema = z.object({
  ok: z.literal(true),
  seal: z.object({ signedAt: z.string() }),
});

/** When the seal of the latest sealed load on record was made (the rollback floor). */
async function lastLoadedSeal(db: Db): Promise<string | undefined> {
  for (const r of await latestRecordsOfType(db, 'policy.reload', 200)) {
    let payload: unknown;
    try {
      payload = JSON.parse(r.payload);
    } catch {
      continue;
    }
    const parsed = LoadedSealSchema.safeParse(payload);
    if (parsed.success) return parsed.data.seal.signedAt;
  }
  return undefined;
}

/** The configured targets, each connected (a target that fails to connect is logged, not fatal). */
async function connectTargets(config: Config, log: Logger): Promise<Map<string, Target>> {
  const targets = createTargets(config.targets);
  for (const target of targets.values()) {
    try {
      await target.driver.connect();
    } catch (err) {
      log.error({ target: target.id, err }, 'driver failed to connect');
    }
  }
  return targets;
}

/** /ready: a bundle is loaded and healthy, the database answers, every driver is connected. */
async function readiness(
  db: Db,
  targets: Map<string, Target>,
  engine: PolicyEngine,
  instance: string,
): Promise<ReadyReport> {
  const database = await databaseAnswers(db);
  const drivers = Object.fromEntries([...targets.values()].map((t) => [t.id, t.driver.connected]));
  const policy = engine.current !== undefined;
  const health = engine.current?.health?.();
  const engineCheck = {
    healthy: policy && (health?.healthy ?? true),
    rebuilds: health?.rebuilds ?? 0,
    ...(health?.lastFault ? { lastFault: health.lastFault } : {}),
  };
  return {
    ready: policy && engineCheck.healthy && database && Object.values(drivers).every(Boolean),
    checks: { policy, engine: engineCheck, database, drivers },
    policyDigest: engine.current?.digest ?? null,
    instance,
  };
}

/** The failing checks of a readiness report, as a readiness.dropped record names them. */
function failingChecks(r: ReadyReport): ReadinessProbe {
  const failing = [
    ...(r.checks.policy ? [] : ['policy']),
    ...(r.checks.policy && !r.checks.engine.healthy ? ['engine'] : []),
    ...(r.checks.database ? [] : ['database']),
    ...Object.entries(r.checks.drivers)
      .filter(([, up]) => !up)
      .map(([id]) => `driver ${id}`),
  ];
  return { ready: r.ready, failing };
}

/** Listens on the configured address; a port in use rejects instead of an unhandled 'error'. */
function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  config: Config,
): Promise<ServerType> {
  return new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch, hostname: config.server.host, port: config.server.port }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
}

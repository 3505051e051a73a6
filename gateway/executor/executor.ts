/**
 * The executor: runs APPROVED actions through their target's driver, one at a time per
 * target, in approval order (batch members in sequence). Right before the driver is called
 * the action is decided again against the current state; any deny blocks it. Claiming an
 * action is a conditional transition, so two executors never run the same action.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tx } from '../audit/append.ts';
import { canonicalJson, sha256Hex } from '../schema/canonical-json.ts';
import { RoleSchema, type Principal } from '../auth/tokens.ts';
import { estopEngaged } from '../lifecycle/context.ts';
import { decideNow, decisionInputOf } from '../lifecycle/propose.ts';
import { inTx, type Deps } from '../lifecycle/deps.ts';
import { recordDecision } from '../lifecycle/record.ts';
import type { Status } from '../lifecycle/states.ts';
import { every } from '../lifecycle/sweeper.ts';
import { transition } from '../lifecycle/transition.ts';
import { actionDigest } from '../lifecycle/views.ts';
import type { ActionEnvelope } from '../schema/action.ts';
import { TransientDriverError, type ExecutionResult, type TargetState } from '../schema/driver.ts';
import { approvedQueue, batchPredecessorStatus, renewLeases } from '../store/execution.ts';
import { approvalBindings } from '../store/actions.ts';
import { tokenNamed } from '../store/tokens.ts';
import type { ActionsTable } from '../store/types.ts';
import { claimGuard } from './claim-guard.ts';
import { reconcile } from './reconcile.ts';
import { nameKey } from '../schema/names.ts';

export interface ExecutorOptions {
  onError?: (err: unknown) => void;
  /** Runs after every execution outcome, before the target's next execution (circuit breakers). */
  afterOutcome?: (target: string) => Promise<void>;
}

/** A configured target, as the lifecycle's dependencies hold it. */
type Target = NonNullable<ReturnType<Deps['targets']['get']>>;

/** What the time-of-use check found: the re-check, when it started, and why not to run. */
interface TimeOfUse {
  recheckStartedAt: number;
  recheck?: Awaited<ReturnType<typeof decideNow>>;
  blockReason?: string;
}

export class Executor {
  readonly id = randomUUID();
  readonly #running = new Map<string, AbortController>();
  /**
   * Running actions of estop-exempt kinds: how a target gets safe, so a stop does not abort them.
   */
  readonly #exempt = new Set<string>();
  readonly #busy = new Set<string>();
  readonly #tasks = new Set<Promise<void>>();
  #stops: (() => void)[] = [];
  #kicked = false;
  #ticking: Promise<void> | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly options: ExecutorOptions = {},
  ) {}

  async start(): Promise<void> {
    await reconcile(this.deps, { orphanedOnly: false, executorId: this.id });
    const onError = this.options.onError ?? (() => undefined);
    this.#stops.push(every(this.deps.config.executor.pollMs, () => this.tick(), onError));
    this.#stops.push(
      every(
        Math.max(500, Math.floor(this.deps.config.executor.leaseMs / 3)),
        () => this.#maintain(),
        onError,
      ),
    );
    this.#stops.push(
      this.deps.events.subscribe((e) => {
        if (e.status === 'APPROVED' || e.type === 'action.finished') this.kick();
      }),
    );
  }

  /** Stops picking up work and waits for in-flight commands to settle. */
  async stop(): Promise<void> {
    for (const stop of this.#stops) stop();
    this.#stops = [];
    await Promise.allSettled([...this.#tasks]);
  }

  /** Runs a tick soon, coalescing bursts of approvals into one. */
  kick(): void {
    if (this.#kicked) return;
    this.#kicked = true;
    setImmediate(() => {
      this.#kicked = false;
      void this.tick().catch((err: unknown) => this.options.onError?.(err));
    });
  }

  /** Aborts an action this executor is running; false if it is not running here. */
  abort(actionId: string): boolean {
    const controller = this.#running.get(actionId);
    if (!controller) return false;
    controller.abort(new Error('aborted by an operator'));
    return true;
  }

  /** Aborts everything in flight but estop-exempt kinds (emergency stop); returns how many. */
  abortAll(reason: string): number {
    let n = 0;
    for (const [id, controller] of this.#running) {
      if (this.#exempt.has(id) || controller.signal.aborted) continue;
      controller.abort(new Error(reason));
      n++;
    }
    return n;
  }

  get inFlight(): number {
    return this.#running.size;
  }

  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    // Another replica may have engaged the emergency stop: its abort cannot reach our commands.
    if (this.#running.size > this.#exempt.size && (await estopEngaged(this.deps)))
      this.abortAll('emergency stop engaged (seen in the shared database)');
    const rows = await approvedQueue(this.deps.db, 200);
    for (const row of rows) {
      if (this.#busy.has(row.target)) continue;
      if (!(await this.#batchAllows(row))) continue;
      this.#busy.add(row.target);
      const task = this.#run(row)
        .catch((err: unknown) => this.options.onError?.(err))
        .finally(() => {
          this.#busy.delete(row.target);
          this.#tasks.delete(task);
          this.kick();
        });
      this.#tasks.add(task);
    }
  }

  /**
   * A batch member runs only after its predecessor completed; if that ended otherwise, it is
   * cancelled.
   */
  async #batchAllows(row: ActionsTable): Promise<boolean> {
    if (row.batch_id === null || row.batch_seq === null || row.batch_seq === 0) return true;
    const prevStatus = await batchPredecessorStatus(this.deps.db, row.batch_id, row.batch_seq);
    if (prevStatus === undefined || prevStatus === 'COMPLETED') return true;
    if (
      ['PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED', 'EXECUTING', 'UNKNOWN', 'PROPOSED'].includes(
        prevStatus,
      )
    )
      return false;
    await inTx(this.deps, (trx, events) =>
      transition(
        trx,
        {
          id: row.id,
          from: 'APPROVED',
          to: 'CANCELLED',
          actor: 'system',
          reason: `batch member ${row.batch_seq} ended ${prevStatus}`,
          at: this.deps.now(),
        },
        events,
      ),
    );
    return false;
  }

  async #run(row: ActionsTable): Promise<void> {
    const target = this.deps.targets.get(row.target);
    const params = JSON.parse(row.params) as Record<string, unknown>;
    const check = await this.#timeOfUse(row, params, target !== undefined);
    const claimed = await this.#claim(row, check);
    if (!claimed || !target) return;
    await this.#execute(row, params, target, check.recheck?.state ?? {});
  }

  /**
   * Time of use: decide again against the current world, and check the approvals' binding.
   * Returns why the action must not run (if it must not), with the re-check that said so.
   */
  async #timeOfUse(
    row: ActionsTable,
    params: Record<string, unknown>,
    targetKnown: boolean,
  ): Promise<TimeOfUse> {
    const deps = this.deps;
    const envelope: ActionEnvelope = { kind: row.kind, target: row.target, params };
    const proposer = await this.#principal(row.proposer);
    let blockReason: string | undefined;
    // A revoked proposer is a compromised or retired identity: what it queued does not run,
    // approved or not (a veto window would otherwise run it on the agent's word alone).
    if (proposer.revoked) blockReason = `the proposer's token ${row.proposer} was revoked`;
    let recheck: Awaited<ReturnType<typeof decideNow>> | undefined;
    const recheckStartedAt = deps.now();
    try {
      recheck = await decideNow(deps, proposer, envelope, 'execution', { excludeActionId: row.id });
      if (recheck.decision.effect === 'deny') blockReason = recheck.decision.reasons.join('; ');
    } catch (err) {
      blockReason = `re-check failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    // The level in force may have dropped since (a person, a circuit breaker): it may now want
    // approvals nobody gave.
    const neededNow =
      recheck?.decision.effect === 'require_approval' &&
      !recheck.decision.approval?.vetoWindowSeconds
        ? { count: recheck.decision.approval?.count ?? 0, level: recheck.level }
        : undefined;
    blockReason ??= await this.#bindingProblem(row, params, neededNow);
    if (!targetKnown) blockReason ??= `target ${row.target} is not configured`;

    return {
      recheckStartedAt,
      ...(recheck ? { recheck } : {}),
      ...(blockReason ? { blockReason } : {}),
    };
  }

  /**
   * Claims the action in one transaction: the re-check's decision is recorded, and the action
   * moves to BLOCKED, CANCELLED (the claim guard says so) or EXECUTING. True when it is ours to run.
   */
  async #claim(row: ActionsTable, check: TimeOfUse): Promise<boolean> {
    const deps = this.deps;
    const { recheck, blockReason, recheckStartedAt } = check;
    const now = deps.now();
    // The state the re-check decided on; a state that could not be read made it deny.
    const stateBefore = recheck?.state ?? {};
    return inTx(deps, async (trx, events) => {
      // Before anything is recorded: a claim that must wait leaves no trace and is retried next
      // poll.
      const guard = await claimGuard(
        trx,
        deps.dialect,
        row,
        recheckStartedAt,
        deps.policy()?.data.catalog[row.kind]?.estop_exempt === true,
      );
      if (!guard.ok) {
        if (guard.cancel)
          await transition(
            trx,
            {
              id: row.id,
              from: 'APPROVED',
              to: 'CANCELLED',
              actor: 'executor',
              reason: guard.cancel,
              set: { finished_at: now },
              at: now,
            },
            events,
          );
        return false;
      }
      const decisionId = recheck
        ? await recordDecision(
            trx,
            row.id,
            'executor',
            recheck.level,
            recheck.decision,
            'recheck',
            now,
            recheck.state,
            decisionInputOf(recheck),
          )
        : null;
      if (blockReason) {
        await transition(
          trx,
          {
            id: row.id,
            from: 'APPROVED',
            to: 'BLOCKED',
            actor: 'executor',
            reason: blockReason,
            set: { finished_at: now },
            detail: { decision_id: decisionId },
            at: now,
          },
          events,
        );
        events.push({
          type: 'action.finished',
          actionId: row.id,
          target: row.target,
          status: 'BLOCKED',
          at: now,
        });
        return false;
      }
      return transition(
        trx,
        {
          id: row.id,
          from: 'APPROVED',
          to: 'EXECUTING',
          actor: 'executor',
          set: {
            started_at: now,
            executor_id: this.id,
            lease_until: now + deps.config.executor.leaseMs,
          },
          detail: { decision_id: decisionId, executor: this.id, state_before: stateBefore },
          at: now,
        },
        events,
      );
    });
  }

  /** Runs a claimed action through its driver and records the outcome. */
  async #execute(
    row: ActionsTable,
    params: Record<string, unknown>,
    target: Target,
    stateBefore: Record<string, unknown>,
  ): Promise<void> {
    const deps = this.deps;
    // A checkpoint before the write gives operators a rollback reference (drivers that keep them).
    let checkpoint: string | undefined;
    try {
      checkpoint = (await target.driver.checkpoint?.())?.id;
    } catch {
      checkpoint = undefined;
    }
    const controller = new AbortController();
    this.#running.set(row.id, controller);
    if (deps.policy()?.data.catalog[row.kind]?.estop_exempt === true) this.#exempt.add(row.id);
    let result: ExecutionResult;
    let attempts = 0;
    try {
      ({ result, attempts } = await this.#attempt(row, params, controller.signal));
    } finally {
      this.#running.delete(row.id);
      this.#exempt.delete(row.id);
    }
    let stateAfter: TargetState | { error: string };
    try {
      stateAfter = await target.driver.readState();
    } catch (err) {
      stateAfter = { error: err instanceof Error ? err.message : String(err) };
    }
    const to: Status =
      result.status === 'completed'
        ? 'COMPLETED'
        : result.status === 'aborted'
          ? 'ABORTED'
          : 'FAILED';
    const outcome = {
      result: result.status,
      ...(result.message ? { message: result.message } : {}),
      attempts,
      output_hash: result.output ? sha256Hex(canonicalJson(result.output)) : null,
      ...(result.output ? { output_digests: outputDigests(result.output) } : {}),
      state_before: stateBefore,
      state_after: stateAfter,
      ...(checkpoint ? { checkpoint } : {}),
    };
    // The action keeps what the target reported (shell: capped stdout and stderr) for people to
    // read; the audit record keeps its hashes only, so output never grows the signed log.
    const stored = result.output ? { ...outcome, output: result.output } : outcome;
    await this.#finish(row.id, row.target, to, result.message ?? null, stored, outcome, attempts);
    // Still holding the target: whatever the breakers decide applies before its next execution.
    await this.options.afterOutcome?.(row.target);
  }

  async #attempt(
    row: ActionsTable,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<{ result: ExecutionResult; attempts: number }> {
    const { retries, backoffMs } = this.deps.config.executor;
    const driver = this.deps.targets.get(row.target)?.driver;
    if (!driver) return { result: { status: 'failed', message: 'no driver' }, attempts: 0 };
    const onAbort = (): void => void driver.abortCommand(row.id).catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    let attempts = 0;
    try {
      for (;;) {
        attempts++;
        if (signal.aborted)
          return { result: { status: 'aborted', message: reasonOf(signal) }, attempts };
        try {
          const result = await driver.writeCommand(
            { id: row.id, kind: row.kind, params, target: row.target, digest: row.action_digest },
            { idempotencyKey: row.id, signal },
          );
          return { result, attempts };
        } catch (err) {
          if (signal.aborted)
            return { result: { status: 'aborted', message: reasonOf(signal) }, attempts };
          if (!(err instanceof TransientDriverError) || attempts > retries) {
            return {
              result: {
                status: 'failed',
                message: err instanceof Error ? err.message : String(err),
              },
              attempts,
            };
          }
          try {
            await sleep(backoffMs * 2 ** (attempts - 1), undefined, { signal });
          } catch {
            return { result: { status: 'aborted', message: reasonOf(signal) }, attempts };
          }
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #finish(
    id: string,
    target: string,
    to: Status,
    reason: string | null,
    stored: Record<string, unknown>,
    outcome: Record<string, unknown>,
    attempts: number,
  ): Promise<void> {
    const now = this.deps.now();
    await inTx(this.deps, async (trx: Tx, events) => {
      const set = {
        finished_at: now,
        lease_until: null,
        attempts,
        outcome: JSON.stringify(stored),
      };
      const moved =
        (await transition(
          trx,
          {
            id,
            from: 'EXECUTING',
            to,
            actor: 'executor',
            reason,
            set,
            detail: { outcome },
            at: now,
          },
          events,
        )) ||
        // Another process presumed this executor dead and marked it UNKNOWN: settle it from here.
        (await transition(
          trx,
          { id, from: 'UNKNOWN', to, actor: 'executor', reason, set, detail: { outcome }, at: now },
          events,
        ));
      if (moved)
        events.push({ type: 'action.finished', actionId: id, target, status: to, at: now });
    });
  }

  /**
   * Approvals must be bound to exactly this action's content, and enough of them: as recorded, and
   * as the level in force now asks.
   */
  async #bindingProblem(
    row: ActionsTable,
    params: Record<string, unknown>,
    neededNow?: { count: number; level: string },
  ): Promise<string | undefined> {
    const approvals = await approvalBindings(this.deps.db, row.id);
    // People, not spellings: "alice" and "Alice" are one approver.
    const distinct = new Set(approvals.map((a) => nameKey(a.actor)));
    if (
      neededNow &&
      neededNow.count > 0 &&
      row.veto_deadline === null &&
      distinct.size < neededNow.count
    ) {
      return `at level ${neededNow.level} ${row.kind} needs ${neededNow.count} approval(s); it has ${distinct.size}`;
    }
    const digest = actionDigest(row.kind, row.target, params);
    if (digest !== row.action_digest)
      return 'the action changed after it was decided (digest mismatch)';
    if (approvals.some((a) => a.action_digest !== digest))
      return 'an approval is bound to a different action digest';
    if (distinct.has(nameKey(row.proposer))) return 'the proposer approved its own action';
    if (row.veto_deadline === null && distinct.size < Number(row.approvals_required)) {
      return `only ${distinct.size} of ${row.approvals_required} required approvals are recorded`;
    }
    return undefined;
  }

  async #principal(name: string): Promise<Principal & { revoked: boolean }> {
    const token = await tokenNamed(this.deps.db, name);
    const role = RoleSchema.safeParse(token?.role);
    return {
      id: name,
      role: role.success ? role.data : 'agent',
      revoked: token !== undefined && token.revoked_at !== null,
    };
  }

  async #maintain(): Promise<void> {
    const now = this.deps.now();
    const ids = [...this.#running.keys()];
    await renewLeases(this.deps.db, this.id, ids, now + this.deps.config.executor.leaseMs);
    await reconcile(this.deps, { orphanedOnly: true, executorId: this.id });
  }
}

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : 'aborted';
}

/**
 * The `*_sha256` fields of a driver's output (shell: stdout_sha256, stderr_sha256), for the audit
 * record.
 */
function outputDigests(output: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(output).filter(
      (e): e is [string, string] => e[0].endsWith('_sha256') && typeof e[1] === 'string',
    ),
  );
}

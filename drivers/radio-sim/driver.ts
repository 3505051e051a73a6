/**
 * radio-sim: a station's on-air systems (the radio document): a playlist, an ad log and
 * script packages. Every write creates a new version of its subsystem and an on-air log entry
 * carrying its provenance (the action id); a rollback restores the previous version of one
 * subsystem, or of all; the safe state is the fallback loop (music bed and legal ID). A
 * checkpoint (taken before every write) can be restored by radio.restore, which names the
 * versions and the digest of the content it puts back on air.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CommandBook } from '../command-book.ts';
import { canonicalJson, sha256Hex } from '../../gateway/schema/canonical-json.ts';
import {
  DriverRejectedError,
  type CheckpointRef,
  type CommandStatus,
  type Driver,
  type DriverCommand,
  type ExecutionResult,
  type TargetState,
  type WriteOptions,
} from '../../gateway/schema/driver.ts';

const KEEP_CHECKPOINTS = 256;
export const RESTORE_KIND = 'radio.restore';
export const RESUME_KIND = 'radio.resume';

export const RadioSimOptionsSchema = z.strictObject({
  station: z.string().min(1).default('station'),
});
export type RadioSimOptions = z.input<typeof RadioSimOptionsSchema>;

export const SUBSYSTEMS = ['playlist', 'ads', 'scripts'] as const;
type Subsystem = (typeof SUBSYSTEMS)[number];

export interface OnAirEntry {
  subsystem: Subsystem | 'safe_loop' | 'live';
  version: number;
  /** The action that caused it: provenance for every live write. */
  actionId: string;
  kind: string;
  at: string;
}

type Content = Record<string, unknown>;

interface Checkpoint {
  mode: 'live' | 'safe_loop';
  versions: Record<Subsystem, Content[]>;
}

/** What a checkpoint puts back on air: each subsystem's content, as one digest. */
function contentDigest(cp: Checkpoint): string {
  return sha256Hex(
    canonicalJson(Object.fromEntries(SUBSYSTEMS.map((s) => [s, cp.versions[s].at(-1)]))),
  );
}

/** The versions each subsystem is at: what a restore replaces, or brings back. */
function versionsOf(versions: Record<Subsystem, Content[]>, prefix = ''): Record<string, number> {
  return Object.fromEntries(
    SUBSYSTEMS.map((s) => [`${prefix}${s}_version`, versions[s].length - 1]),
  );
}

/**
 * The params of the radio.restore that brings a checkpoint back over the station as it is now:
 * the versions it replaces are named too, so a write that airs after the proposal is never
 * undone by an approval that did not see it.
 */
function restoreParams(
  id: string,
  cp: Checkpoint,
  now: Record<Subsystem, Content[]>,
): Record<string, unknown> {
  return {
    checkpoint: id,
    ...versionsOf(now, 'from_'),
    ...versionsOf(cp.versions),
    content_sha256: contentDigest(cp),
  };
}

export class RadioSimDriver implements Driver {
  readonly name = 'radio-sim';
  #connected = false;
  mode: 'live' | 'safe_loop' = 'live';
  /** Every version of every subsystem; the last is on air. */
  readonly versions: Record<Subsystem, Content[]> = {
    playlist: [{}],
    ads: [{ log: [] }],
    scripts: [{}],
  };
  readonly onAir: OnAirEntry[] = [];
  readonly #book = new CommandBook();
  readonly #checkpoints = new Map<string, Checkpoint>();

  constructor(options: RadioSimOptions = {}) {
    RadioSimOptionsSchema.parse(options);
  }

  get connected(): boolean {
    return this.#connected;
  }

  async connect(): Promise<void> {
    this.#connected = true;
  }

  async disconnect(): Promise<void> {
    this.#connected = false;
  }

  current(s: Subsystem): Content {
    return this.versions[s][this.versions[s].length - 1]!;
  }

  async readState(): Promise<TargetState> {
    return {
      mode: this.mode,
      on_air: true,
      playlist_version: this.versions.playlist.length - 1,
      ads_version: this.versions.ads.length - 1,
      scripts_version: this.versions.scripts.length - 1,
    };
  }

  #publish(s: Subsystem, content: Content, cmd: DriverCommand): OnAirEntry {
    this.versions[s].push(content);
    const entry: OnAirEntry = {
      subsystem: s,
      version: this.versions[s].length - 1,
      actionId: cmd.id,
      kind: cmd.kind,
      at: new Date().toISOString(),
    };
    this.onAir.push(entry);
    return entry;
  }

  async writeCommand(cmd: DriverCommand, options: WriteOptions): Promise<ExecutionResult> {
    if (!this.#connected) throw new Error('not connected');
    const known = this.#book.completed(cmd.id);
    if (known) return known;
    if (options.signal.aborted) return { status: 'aborted', message: 'aborted before it aired' };
    const p = cmd.params;
    let entries: OnAirEntry[];
    switch (cmd.kind) {
      case 'radio.playlist.commit':
        entries = [
          this.#publish(
            'playlist',
            {
              ...this.current('playlist'),
              [String(p.block)]: { tracks: p.tracks, catalog: p.catalog, by: cmd.id },
            },
            cmd,
          ),
        ];
        break;
      case 'radio.ad.insert': {
        const log = [
          ...((this.current('ads').log as unknown[]) ?? []),
          { block: p.block, campaign: p.campaign, pool: p.campaign_pool, by: cmd.id },
        ];
        entries = [this.#publish('ads', { log }, cmd)];
        break;
      }
      case 'radio.script.publish':
        entries = [
          this.#publish(
            'scripts',
            { ...this.current('scripts'), [String(p.script)]: { daypart: p.daypart, by: cmd.id } },
            cmd,
          ),
        ];
        break;
      case 'radio.rollback': {
        const which: Subsystem[] =
          p.subsystem === 'all' ? [...SUBSYSTEMS] : [p.subsystem as Subsystem];
        entries = [];
        for (const s of which) {
          // Back to the previous version, as a new version: history is never rewritten.
          const previous = this.versions[s][this.versions[s].length - 2];
          if (!previous) continue;
          entries.push(this.#publish(s, previous, cmd));
        }
        // Content only: what airs when the station is live again. Leaving the fallback loop is
        // radio.resume, a person's decision after the stop is re-armed.
        break;
      }
      case RESUME_KIND: {
        if (this.mode !== 'safe_loop')
          throw new DriverRejectedError('the station is already live: nothing to resume');
        this.mode = 'live';
        const entry: OnAirEntry = {
          subsystem: 'live',
          version: 0,
          actionId: cmd.id,
          kind: cmd.kind,
          at: new Date().toISOString(),
        };
        this.onAir.push(entry);
        entries = [entry];
        break;
      }
      case RESTORE_KIND:
        entries = this.#restoreCheckpoint(p, cmd);
        break;
      default:
        throw new DriverRejectedError(`radio-sim does not know ${cmd.kind}`);
    }
    const output = { entries, state: await this.readState() };
    this.#book.settle(cmd.id, { status: 'completed', output });
    return { status: 'completed', output };
  }

  async abortCommand(): Promise<void> {
    // Writes are applied at once; there is nothing in flight to stop.
  }

  async getCommandStatus(commandId: string): Promise<CommandStatus> {
    return this.#book.status(commandId);
  }

  /** The global stop: the fallback loop (music bed and legal ID) goes on air. */
  async safeState(): Promise<void> {
    this.mode = 'safe_loop';
    this.onAir.push({
      subsystem: 'safe_loop',
      version: 0,
      actionId: 'emergency-stop',
      kind: 'safe_state',
      at: new Date().toISOString(),
    });
  }

  /**
   * Puts a checkpoint's content back on air, each changed subsystem as a new version (history
   * is never rewritten). It refuses unless the params are exactly the checkpoint's (what was
   * decided is what airs) and the station is live: during the fallback loop of a stop, old
   * content must not go on air, and a restore never ends the loop.
   */
  #restoreCheckpoint(p: Record<string, unknown>, cmd: DriverCommand): OnAirEntry[] {
    if (this.mode !== 'live')
      throw new DriverRejectedError(
        'the fallback loop is on air: a checkpoint is restored only while the station is live',
      );
    const id = String(p.checkpoint);
    const cp = this.#checkpoints.get(id);
    if (!cp)
      throw new DriverRejectedError(`no checkpoint ${id}: the station keeps the newest only`);
    const expected = restoreParams(id, cp, this.versions);
    const differing = Object.keys(expected).filter((k) => expected[k] !== p[k]);
    if (differing.length)
      throw new DriverRejectedError(
        `the restore's ${differing.join(', ')} are not checkpoint ${id}'s or the station's now: nothing aired`,
      );
    const entries: OnAirEntry[] = [];
    for (const s of SUBSYSTEMS) {
      const content = cp.versions[s].at(-1)!;
      if (canonicalJson(content) === canonicalJson(this.current(s))) continue;
      entries.push(this.#publish(s, structuredClone(content), cmd));
    }
    return entries;
  }

  rollbackAction(
    ref: CheckpointRef,
  ): { kind: string; params: Record<string, unknown> } | undefined {
    const cp = this.#checkpoints.get(ref.id);
    return cp
      ? { kind: RESTORE_KIND, params: restoreParams(ref.id, cp, this.versions) }
      : undefined;
  }

  async checkpoint(): Promise<CheckpointRef> {
    // Random, not a counter: after a restart an old id must not name a new checkpoint.
    const id = `cp-${randomUUID()}`;
    this.#checkpoints.set(id, { mode: this.mode, versions: structuredClone(this.versions) });
    // The executor checkpoints before every write: keep the newest only.
    if (this.#checkpoints.size > KEEP_CHECKPOINTS)
      this.#checkpoints.delete(this.#checkpoints.keys().next().value as string);
    return { id };
  }

  async restore(ref: CheckpointRef): Promise<void> {
    const cp = this.#checkpoints.get(ref.id);
    if (!cp) throw new DriverRejectedError(`no checkpoint ${ref.id}`);
    this.mode = cp.mode;
    for (const s of SUBSYSTEMS)
      this.versions[s].splice(0, this.versions[s].length, ...structuredClone(cp.versions[s]));
  }
}

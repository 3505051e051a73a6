/**
 * The driver contract: how the gateway reads a target's state and actuates it.
 * Drivers import only this layer, so they can be written and tested on their own.
 */

/** Telemetry and mode, as the decision pipeline sees it (`input.context.state`). */
export type TargetState = Record<string, unknown> & { mode?: string };

/** One command, derived from an approved action. `id` is the action id: the driver's command id. */
export interface DriverCommand {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  /** The target the action was decided for (the executor always sets it). */
  target?: string;
  /**
   * The action digest the decision and approvals are bound to (schema/canonical-json.ts,
   * actionDigest). A driver that executes text checks it, so what runs is what was decided.
   */
  digest?: string;
}

export interface WriteOptions {
  /** Lets the driver drop a repeat of a command it has already applied. */
  idempotencyKey: string;
  /** Aborted when the operator aborts the action or an emergency stop engages. */
  signal: AbortSignal;
}

export interface ExecutionResult {
  status: 'completed' | 'failed' | 'aborted';
  /** What the target reported back; hashed and audited. */
  output?: Record<string, unknown>;
  message?: string;
}

/** What a driver knows about a command it may or may not have received. */
export type CommandStatus =
  | { status: 'not_found' }
  | { status: 'in_progress' }
  | { status: 'completed'; output?: Record<string, unknown> }
  | { status: 'failed'; message?: string }
  | { status: 'aborted' };

export interface CheckpointRef {
  id: string;
}

/** One tool of an upstream tool server (an MCP server behind the mcp driver). */
export interface UpstreamTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** The kind a tool of a target is decided as: `mcp.<target>.<tool>`. */
export function toolKind(target: string, tool: string): string {
  return `mcp.${target}.${tool}`;
}

export interface Driver {
  readonly name: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Whether the driver currently believes it can reach its target. */
  readonly connected: boolean;
  readState(): Promise<TargetState>;
  writeCommand(cmd: DriverCommand, options: WriteOptions): Promise<ExecutionResult>;
  abortCommand(commandId: string): Promise<void>;
  getCommandStatus(commandId: string): Promise<CommandStatus>;
  /** Brings the target to its emergency-stop state (roaster: heat off, fan and drum on). */
  safeState(): Promise<void>;
  checkpoint?(): Promise<CheckpointRef>;
  restore?(ref: CheckpointRef): Promise<void>;
  /**
   * The action that rolls this target back to a checkpoint, to be proposed and decided like any
   * other: a rollback is an actuation, never a side door.
   */
  rollbackAction?(
    ref: CheckpointRef,
  ): { kind: string; params: Record<string, unknown> } | undefined;
  /**
   * The absolute path a bare program name runs as on this target (the shell driver's
   * allowlist), or undefined. The gateway calls it once, when it turns a command line into
   * the argv it decides on, so argv[0] is decided as it will execute.
   */
  resolveProgram?(name: string): string | undefined;
  /** The tools of the tool server this target fronts (the mcp driver), for the MCP front door. */
  listTools?(): Promise<UpstreamTool[]>;
  /**
   * What the driver would do for these params, without doing it (dry runs); throws why it would
   * not.
   */
  plan?(params: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Thrown by a driver for a failure worth retrying (timeout, connection reset).
 * Anything else a driver throws is treated as a permanent failure.
 */
export class TransientDriverError extends Error {
  readonly code = 'driver_transient';
}

/** Thrown when the target refuses a command on its own authority (hardware limits). */
export class DriverRejectedError extends Error {
  readonly code = 'driver_rejected';
}

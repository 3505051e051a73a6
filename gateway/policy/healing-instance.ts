/**
 * The Wasm instance a bundle is evaluated in, replaced whenever it fails.
 *
 * An opa-wasm instance that traps can be left with a corrupt heap: after one evaluation of a
 * lone surrogate, every later evaluation answered "memory access out of bounds" until a
 * restart. So any trap, thrown error or malformed answer discards the instance. The failing
 * evaluation still fails (the pipeline denies it), and a fresh instance of the same compiled
 * module is made at once (synchronously: the module is compiled once, instantiating it takes
 * about a millisecond), so the next evaluation never inherits the failure.
 */
import * as opaWasm from '@open-policy-agent/opa-wasm';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';

// The package's ESM entry exports loadPolicy by name but loadPolicySync only on its default
// object, while its typings declare both by name.
const opaApi = (opaWasm as unknown as { default?: typeof opaWasm }).default ?? opaWasm;
const loadPolicySync = opaApi.loadPolicySync;

/** Wasm bytes or a compiled module, as opa-wasm takes them. */
type Wasm = Parameters<typeof loadPolicySync>[0];
// The runtime's WebAssembly.compile (Node's global), typed for what this module needs.
const wasmRuntime = (
  globalThis as unknown as { WebAssembly: { compile(bytes: Wasm): Promise<Wasm> } }
).WebAssembly;

/** Why an instance was discarded, for the metric, the log and the audit record. */
export interface EngineFault {
  digest: string;
  error: string;
  at: number;
}

export interface EngineHealth {
  healthy: boolean;
  /** Instances discarded since the bundle loaded. */
  rebuilds: number;
  lastFault?: EngineFault;
}

/** Thrown while no healthy instance could be made. */
export class EngineUnavailableError extends Error {
  readonly code = 'engine_unavailable';
}

export class HealingInstance {
  #active: LoadedPolicy | undefined;
  #rebuilds = 0;
  #lastFault: EngineFault | undefined;

  private constructor(
    private readonly module: Wasm,
    private readonly data: object,
    private readonly digest: string,
    private readonly onFault: (fault: EngineFault) => void,
  ) {}

  /** Compiles the module once and instantiates it. */
  static async create(
    wasm: Wasm,
    data: object,
    digest: string,
    onFault: (fault: EngineFault) => void = () => {},
  ): Promise<HealingInstance> {
    const module = await wasmRuntime.compile(wasm);
    const h = new HealingInstance(module, data, digest, onFault);
    h.#active = h.#instantiate();
    return h;
  }

  get health(): EngineHealth {
    return {
      healthy: this.#active !== undefined,
      rebuilds: this.#rebuilds,
      ...(this.#lastFault ? { lastFault: this.#lastFault } : {}),
    };
  }

  /** Evaluates an entrypoint; on any failure the instance is replaced and the error rethrown. */
  evaluate(input: unknown, entrypoint: string): unknown {
    const policy = this.#active ?? this.#retry();
    let out: unknown;
    try {
      out = policy.evaluate(input, entrypoint);
    } catch (err) {
      this.#replace(err);
      throw err instanceof Error && err.message
        ? err
        : new Error(`the policy engine trapped: ${describe(err)}`);
    }
    // A well-formed answer is a result set of at most one object; anything else is a damaged
    // instance.
    if (
      !Array.isArray(out) ||
      out.length > 1 ||
      (out.length === 1 && (typeof out[0] !== 'object' || out[0] === null))
    ) {
      const err = new Error('the policy engine returned a malformed result set');
      this.#replace(err);
      throw err;
    }
    return out;
  }

  /** Replaces the instance with a fresh one (a reload of the same bundle). */
  renew(): void {
    this.#active = this.#instantiate();
  }

  #replace(err: unknown): void {
    this.#rebuilds++;
    this.#lastFault = { digest: this.digest, error: describe(err), at: Date.now() };
    this.#active = undefined;
    try {
      this.#active = this.#instantiate();
    } catch {
      // Out of memory, say: the engine stays unhealthy (/ready says so) and every decision
      // denies until an evaluation manages to instantiate it again.
    }
    this.onFault(this.#lastFault);
  }

  #retry(): LoadedPolicy {
    try {
      this.#active = this.#instantiate();
      return this.#active;
    } catch (err) {
      throw new EngineUnavailableError(
        `the policy engine cannot instantiate its module: ${describe(err)}`,
      );
    }
  }

  #instantiate(): LoadedPolicy {
    const policy = loadPolicySync(this.module);
    policy.setData(this.data);
    return policy;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name || 'a trap';
  if (err === undefined) return 'a trap without a message';
  return String(err);
}

/**
 * Holds the policy bundle in force. Reload compiles first and swaps only on success, so a
 * broken policy never replaces a working one; with no bundle loaded every decision denies.
 */
import { createHash } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { InterlockError, PolicyCompileError, type SourceLocation } from '../schema/errors.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { OpenedSeal, PolicySealInfo } from '../schema/policy-seal.ts';
import { compilePolicy, loadSources, type CompileOptions } from './compile.ts';
import { sourcesDigest, type PolicySource } from './sources.ts';
import type { EngineFault } from './healing-instance.ts';
import { loadEvaluator, shellAnalysisOf } from './wasm-policy.ts';

export type ReloadResult =
  | {
      ok: true;
      digest: string;
      changed: boolean;
      fromCache: boolean;
      durationMs: number;
      /**
       * Who analyses shell lines for this bundle: the host's mirrored copy, or the policy's own
       * Rego.
       */
      shellAnalysis: 'host' | 'policy';
      /** Who sealed the bundle, when the gateway requires a signature. */
      seal?: PolicySealInfo;
    }
  | {
      ok: false;
      error: { code: string; message: string; locations: SourceLocation[] };
      /** The bundle that stays in force. */
      digest: string | null;
      /** The refused tree's digest, when its sources could be read. */
      candidate?: string;
      durationMs: number;
    };

/** What started a reload: the first load, a file change, or a request (audited by its route). */
export type ReloadTrigger = 'start' | 'watch' | 'request';

export interface PolicyEngineOptions extends CompileOptions {
  /** Produces generated sources (the invariants' Rego) afresh on every reload. */
  generate?: () => Promise<CompileOptions['extraSources']>;
  /** More folders whose changes trigger a reload (the invariants). */
  watchDirs?: string[];
  /** Hears of every load: its result, what started it, and the bundle in force before it. */
  onReload?: (result: ReloadResult, trigger: ReloadTrigger, before: string | null) => void;
  /**
   * `policy.requireSignature`: opens the candidate's seal and throws (PolicySealError) unless a
   * trusted signer sealed exactly these sources. Runs before compiling; a refusal keeps the
   * running bundle.
   */
  openSeal?: (candidate: {
    digest: string;
    sources: readonly PolicySource[];
  }) => Promise<OpenedSeal>;
  /** Hears of every engine instance replaced after a failure (metric, log, audit). */
  onFault?: (fault: EngineFault) => void;
}

export class PolicyEngine {
  #current: PolicyEvaluator | undefined;
  #reloading: Promise<ReloadResult> | undefined;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #last: ReloadResult | undefined;
  #seal: PolicySealInfo | undefined;

  constructor(private readonly options: PolicyEngineOptions) {}

  /** The evaluator in force, or undefined when no bundle has ever loaded. */
  get current(): PolicyEvaluator | undefined {
    return this.#current;
  }

  /** The seal of the bundle in force (only when signatures are required). */
  get seal(): PolicySealInfo | undefined {
    return this.#seal;
  }

  /** The outcome of the latest reload, whatever triggered it. */
  get lastReload(): ReloadResult | undefined {
    return this.#last;
  }

  /** reload compiles and swaps; concurrent calls share one compilation. */
  reload(trigger: ReloadTrigger = 'request'): Promise<ReloadResult> {
    this.#reloading ??= this.#doReload(trigger).finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  async #doReload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const started = performance.now();
    const before = this.#current?.digest ?? null;
    let candidate: string | undefined;
    let result: ReloadResult;
    try {
      const extraSources = this.options.generate
        ? await this.options.generate()
        : this.options.extraSources;
      // Read once: the seal is checked on these sources, and these are what compile.
      const sources = await loadSources({ ...this.options, extraSources });
      candidate = sourcesDigest(sources);
      const opened = await this.options.openSeal?.({ digest: candidate, sources });
      const bundle = await compilePolicy(
        { ...this.options, extraSources },
        sources,
        opened?.wasmSha256,
      );
      const seal = opened ? sealInfo(opened, bundle.wasm) : undefined;
      const changed = bundle.digest !== before || seal?.signer !== this.#seal?.signer;
      if (changed || !this.#current)
        this.#current = await loadEvaluator(bundle, this.options.onFault, seal?.signer);
      // Same bundle: still a fresh instance, so a reload always clears a damaged engine.
      else this.#current.renew?.();
      this.#seal = seal;
      result = {
        ok: true,
        digest: bundle.digest,
        changed,
        fromCache: bundle.fromCache,
        durationMs: Math.round(performance.now() - started),
        shellAnalysis: shellAnalysisOf(this.#current),
        ...(seal ? { seal } : {}),
      };
    } catch (err) {
      const locations = err instanceof PolicyCompileError ? err.locations : [];
      const code = err instanceof InterlockError ? err.code : 'policy_compile_failed';
      const message = err instanceof Error ? err.message : String(err);
      result = {
        ok: false,
        error: { code, message, locations },
        digest: before,
        ...(candidate ? { candidate } : {}),
        durationMs: Math.round(performance.now() - started),
      };
    }
    this.#last = result;
    this.options.onReload?.(result, trigger, before);
    return result;
  }

  /**
   * watch reloads after files under the policy directory (or the watched folders) change
   * (debounced).
   */
  watch(debounceMs = 250): void {
    if (this.#watchers.length > 0) return;
    for (const dir of [
      this.options.policyDir,
      ...(this.options.watchDirs ?? []).filter((d) => existsSync(d)),
    ]) {
      this.#watchers.push(
        watch(dir, { recursive: true }, () => {
          clearTimeout(this.#timer);
          this.#timer = setTimeout(() => void this.reload('watch'), debounceMs);
        }),
      );
    }
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}

function sealInfo(opened: OpenedSeal, wasm: Uint8Array): PolicySealInfo {
  const { wasmSha256, ...rest } = opened;
  return { ...rest, wasmMatches: createHash('sha256').update(wasm).digest('hex') === wasmSha256 };
}

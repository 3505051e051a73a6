/**
 * Holds the policy bundle in force. Reload compiles first and swaps only on success, so a
 * broken policy never replaces a working one; with no bundle loaded every decision denies.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { InterlockError, PolicyCompileError, type SourceLocation } from '../schema/errors.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import { compilePolicy, type CompileOptions } from './compile.ts';
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
    }
  | {
      ok: false;
      error: { code: string; message: string; locations: SourceLocation[] };
      digest: string | null;
      durationMs: number;
    };

export interface PolicyEngineOptions extends CompileOptions {
  /** Produces generated sources (the invariants' Rego) afresh on every reload. */
  generate?: () => Promise<CompileOptions['extraSources']>;
  /** More folders whose changes trigger a reload (the invariants). */
  watchDirs?: string[];
  onReload?: (result: ReloadResult) => void;
  /** Hears of every engine instance replaced after a failure (metric, log, audit). */
  onFault?: (fault: EngineFault) => void;
}

export class PolicyEngine {
  #current: PolicyEvaluator | undefined;
  #reloading: Promise<ReloadResult> | undefined;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #last: ReloadResult | undefined;

  constructor(private readonly options: PolicyEngineOptions) {}

  /** The evaluator in force, or undefined when no bundle has ever loaded. */
  get current(): PolicyEvaluator | undefined {
    return this.#current;
  }

  /** The outcome of the latest reload, whatever triggered it. */
  get lastReload(): ReloadResult | undefined {
    return this.#last;
  }

  /** reload compiles and swaps; concurrent calls share one compilation. */
  reload(): Promise<ReloadResult> {
    this.#reloading ??= this.#doReload().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  async #doReload(): Promise<ReloadResult> {
    const started = performance.now();
    const before = this.#current?.digest ?? null;
    let result: ReloadResult;
    try {
      const extraSources = this.options.generate
        ? await this.options.generate()
        : this.options.extraSources;
      const bundle = await compilePolicy({ ...this.options, extraSources });
      const changed = bundle.digest !== before;
      if (changed || !this.#current)
        this.#current = await loadEvaluator(bundle, this.options.onFault);
      // Same bundle: still a fresh instance, so a reload always clears a damaged engine.
      else this.#current.renew?.();
      result = {
        ok: true,
        digest: bundle.digest,
        changed,
        fromCache: bundle.fromCache,
        durationMs: Math.round(performance.now() - started),
        shellAnalysis: shellAnalysisOf(this.#current),
      };
    } catch (err) {
      const locations = err instanceof PolicyCompileError ? err.locations : [];
      const code = err instanceof InterlockError ? err.code : 'policy_compile_failed';
      const message = err instanceof Error ? err.message : String(err);
      result = {
        ok: false,
        error: { code, message, locations },
        digest: before,
        durationMs: Math.round(performance.now() - started),
      };
    }
    this.#last = result;
    this.options.onReload?.(result);
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
          this.#timer = setTimeout(() => void this.reload(), debounceMs);
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

import { describe, expect, it } from 'vitest';
import { decide } from '../decide/pipeline.ts';
import { compilePolicy } from './compile.ts';
import { defaultCacheDir, defaultPolicyDir } from '../paths.ts';
import { loadEvaluator } from './wasm-policy.ts';
import type { EngineFault } from './healing-instance.ts';

// An input the decision pipeline refuses, handed to the engine directly: opa-wasm cannot encode
// a lone surrogate, traps, and leaves its instance's heap damaged for every later evaluation.
const poison = {
  action: { kind: 'roaster.set_power', target: 'roaster-1', params: { value: 'x\ud800' } },
};
const abort = {
  envelope: { kind: 'roaster.abort', target: 'roaster-1', params: {} },
  actor: { id: 'op-1', roles: ['operator'] },
  context: {
    level: 'L3',
    state: { mode: 'RUNNING' },
    history: { last: {}, rate: {} },
    now: 0,
    estop: false,
  },
};

describe('a failed engine instance is replaced', () => {
  it('the decision after a trap runs on a fresh instance, also after 2,000 traps', async () => {
    const faults: EngineFault[] = [];
    const evaluator = await loadEvaluator(
      await compilePolicy({ policyDir: defaultPolicyDir, cacheDir: defaultCacheDir }),
      (f) => faults.push(f),
    );
    expect(() => evaluator.evaluate(poison)).toThrow();
    // The second request must not inherit the failure.
    expect(decide(abort, evaluator)).toMatchObject({
      effect: 'allow',
      rules: ['policy.kind.always_allowed'],
    });
    for (let i = 0; i < 2_000; i++) expect(() => evaluator.evaluate(poison)).toThrow();
    expect(decide(abort, evaluator)).toMatchObject({ effect: 'allow' });
    expect(
      decide(
        {
          ...abort,
          envelope: { kind: 'roaster.set_power', target: 'roaster-1', params: { value: 50 } },
        },
        evaluator,
      ),
    ).toMatchObject({ effect: 'require_approval', stage: 'policy' });
    expect(evaluator.health?.()).toMatchObject({ healthy: true, rebuilds: 2_001 });
    expect(faults).toHaveLength(2_001);
    expect(faults[0]).toMatchObject({ digest: evaluator.digest, error: expect.any(String) });
  }, 120_000);

  it('without the replacement (the mutation), a flood of traps breaks every later decision', async () => {
    const { default: opa } = (await import('@open-policy-agent/opa-wasm')) as unknown as {
      default: {
        loadPolicy(
          w: Uint8Array,
        ): Promise<{ setData(d: object): void; evaluate(i: unknown): unknown }>;
      };
    };
    const bundle = await compilePolicy({ policyDir: defaultPolicyDir, cacheDir: defaultCacheDir });
    const raw = await opa.loadPolicy(bundle.wasm);
    raw.setData(bundle.data);
    const bare = {
      digest: bundle.digest,
      data: bundle.data,
      evaluate: (i: unknown) => raw.evaluate(i),
    };
    for (let i = 0; i < 2_000; i++) expect(() => bare.evaluate(poison)).toThrow();
    expect(decide(abort, bare)).toMatchObject({ effect: 'deny', stage: 'engine' });
  });
});

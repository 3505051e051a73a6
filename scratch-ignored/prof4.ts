import { workload } from '../bench/decision-latency.ts';
import { defaultEvaluator } from '../test/helpers/default-policy.ts';
import { ActionEnvelopeSchema } from '../gateway/schema/action.ts';
import { paramsSchema } from '../gateway/schema/catalog.ts';
import { RawResultSchema } from '../gateway/schema/decision.ts';
import { illFormedField } from '../gateway/schema/unicode.ts';
import { canonicalShellParams } from '../gateway/decide/shell-argv.ts';
const ev = await defaultEvaluator();
const time = (f: () => unknown) => { const us: number[] = []; for (let i = 0; i < 5000; i++) { const t0 = process.hrtime.bigint(); f(); us.push(Number(process.hrtime.bigint() - t0) / 1000); } us.sort((a, b) => a - b); return us[2500]!.toFixed(1); };
for (const r of workload().slice(5, 9)) {
  const e = r.envelope as { kind: string; params: Record<string, unknown> };
  const ps = paramsSchema(ev.data.catalog[e.kind]!);
  const c = canonicalShellParams(e.params, r.resolveProgram); if (!c.ok) throw 1;
  const input = { action: { ...e, params: c.params }, actor: r.actor, context: r.context, analysis: { shell: ev.analyseShell!(c.params.argv as string[]) } };
  const out = ev.evaluate(input) as Array<{ result: unknown }>;
  console.log('ill', time(() => illFormedField(r.envelope)), 'env', time(() => ActionEnvelopeSchema.safeParse(r.envelope)), 'params', time(() => ps.safeParse(e.params)), 'raw', time(() => RawResultSchema.safeParse(out[0]!.result)), 'ctx', JSON.stringify(r.context).length);
}

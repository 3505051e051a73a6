// Times raw Wasm evaluate of the exact input decide() builds, per workload request, for a policy dir.
import { workload } from '../bench/decision-latency.ts';
import { compilePolicy } from '../gateway/policy/compile.ts';
import { loadEvaluator } from '../gateway/policy/wasm-policy.ts';
import { canonicalShellParams } from '../gateway/decide/shell-argv.ts';
const dir = process.argv[2] ?? 'policies';
const ev = await loadEvaluator(await compilePolicy({ policyDir: dir, cacheDir: '/tmp/pcache' }));
console.log('host analysis:', !!ev.analyseShell);
let tot = 0;
for (const r of workload()) {
  const e = r.envelope as { kind: string; params: Record<string, unknown> };
  let params = e.params; let extra = {};
  if (e.kind === 'shell.exec') { const c = canonicalShellParams(params, r.resolveProgram); if (c.ok) params = c.params; const a = ev.analyseShell?.(params.argv as string[]); if (a) extra = { analysis: { shell: a } }; }
  const input = { action: { ...e, params }, actor: r.actor, context: r.context, ...extra };
  const us: number[] = [];
  for (let i = 0; i < 2000; i++) { const t0 = process.hrtime.bigint(); ev.evaluate(input); us.push(Number(process.hrtime.bigint() - t0) / 1000); }
  us.sort((a, b) => a - b); tot += us[1000]!;
  console.log(e.kind.padEnd(18), JSON.stringify(params).slice(0, 60).padEnd(62), 'p50', us[1000]!.toFixed(1), 'p99', us[1980]!.toFixed(1));
}
console.log('sum p50', tot.toFixed(1));

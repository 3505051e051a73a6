// A/B: evaluate inputs on policies/ vs a variant dir, interleaved, medians per request.
import { workload } from '../bench/decision-latency.ts';
import { compilePolicy } from '../gateway/policy/compile.ts';
import { loadEvaluator } from '../gateway/policy/wasm-policy.ts';
import { canonicalShellParams } from '../gateway/decide/shell-argv.ts';
const A = await loadEvaluator(await compilePolicy({ policyDir: process.env.A ?? 'policies', cacheDir: '/tmp/pcache' }));
const B = await loadEvaluator(await compilePolicy({ policyDir: process.argv[2]!, cacheDir: '/tmp/pcache' }));
const inputs = workload().map((r) => {
  const e = r.envelope as { kind: string; params: Record<string, unknown> };
  let params = e.params; let extra = {};
  if (e.kind === 'shell.exec') { const c = canonicalShellParams(params, r.resolveProgram); if (c.ok) params = c.params; const a = (A.analyseShell ?? B.analyseShell)?.(params.argv as string[]); if (a) extra = { analysis: { shell: a } }; }
  return { action: { ...e, params }, actor: r.actor, context: r.context, ...extra };
});
const med = (x: number[]) => x.sort((a, b) => a - b)[x.length >> 1]!;
let sa = 0, sb = 0;
for (const input of inputs) {
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < 3000; i++) {
    let t0 = process.hrtime.bigint(); A.evaluate(input); a.push(Number(process.hrtime.bigint() - t0) / 1000);
    t0 = process.hrtime.bigint(); B.evaluate(input); b.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const ma = med(a), mb = med(b); sa += ma; sb += mb;
  if (process.env.V) console.log(JSON.stringify(input.action.params).slice(0, 50).padEnd(52), ma.toFixed(1), mb.toFixed(1));
}
console.log('A', sa.toFixed(1), 'B', sb.toFixed(1), 'B/A', (sb / sa).toFixed(3));

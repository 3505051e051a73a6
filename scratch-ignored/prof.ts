import { workload } from '../bench/decision-latency.ts';
import { decide } from '../gateway/decide/pipeline.ts';
import { defaultEvaluator } from '../test/helpers/default-policy.ts';
const ev = await defaultEvaluator();
const reqs = workload();
for (const r of reqs) {
  const us: number[] = [];
  for (let i = 0; i < 3000; i++) { const t0 = process.hrtime.bigint(); decide(r, ev); us.push(Number(process.hrtime.bigint() - t0) / 1000); }
  us.sort((a, b) => a - b);
  const e = r.envelope as { kind: string; params: unknown };
  console.log(e.kind.padEnd(20), JSON.stringify(e.params).slice(0, 50).padEnd(52), 'p50', us[1500]!.toFixed(1), 'p99', us[2970]!.toFixed(1), decide(r, ev).effect);
}

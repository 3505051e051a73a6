import { workload, decisionSamples } from '../bench/decision-latency.ts';
import { defaultEvaluator } from '../test/helpers/default-policy.ts';
import { summarize } from '../bench/stats.ts';
const ev = await defaultEvaluator();
const reqs = workload();
decisionSamples(reqs, ev, 3000);
for (let k = 0; k < 3; k++) { const { us } = decisionSamples(reqs, ev, 20000); const s = summarize(us); console.log(JSON.stringify(s)); }

import { defaultEvaluator } from '../test/helpers/default-policy.ts';
import { decide } from '../gateway/decide/pipeline.ts';
const ev = await defaultEvaluator();
for (const s of ['ls café', 'ls\tx', 'ls}', '{ls', 'ls x', 'ls é']) {
  const d = decide({ envelope: { kind: 'shell.exec', target: 'w', params: { argv: ['/usr/bin/sh', '-c', s] } }, actor: { id: 'a', roles: ['agent'] }, context: { level: 'L5', state: {}, history: {}, now: 0, estop: false } as never }, ev);
  console.log(JSON.stringify(s), d.effect, d.rules.join(','));
}

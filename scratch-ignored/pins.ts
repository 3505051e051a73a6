import { shellAnalysisSources } from '../gateway/policy/shell-mirror.ts';
import { readPolicySources } from '../gateway/policy/sources.ts';
console.log(shellAnalysisSources(await readPolicySources('policies')));

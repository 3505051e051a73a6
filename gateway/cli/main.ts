/** The `interlock` command line. */
import { InterlockError } from '../schema/errors.ts';
import { UsageError } from './args.ts';
import { auditUsage, runAuditCommand, runKeysCommand } from './audit-command.ts';
import { evidenceUsage, runEvidenceCommand } from './evidence-command.ts';
import { invariantsUsage, runInvariantsCommand } from './invariants-command.ts';
import { runSpecsCommand, specsUsage } from './specs-command.ts';
import { ciUsage, runCiCommand } from './ci-command.ts';
import { governanceUsage, runGovernanceCommand } from './governance-command.ts';
import { mcpProxyUsage, runMcpProxyCommand } from './mcp-proxy-command.ts';
import { policyUsage, runPolicyCommand } from './policy-command.ts';
import { reportUsage, runReportCommand } from './report-command.ts';
import { runServe, runToken, serveUsage } from './serve-command.ts';

const usage = `usage: interlock <command>

${serveUsage}
${policyUsage}
${invariantsUsage}
${specsUsage}
${ciUsage}
${governanceUsage}
${reportUsage}
${auditUsage}
${evidenceUsage}
${mcpProxyUsage}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServe(rest);
    case 'token':
      return runToken(rest);
    case 'policy':
      return runPolicyCommand(rest);
    case 'audit':
      return runAuditCommand(rest);
    case 'keys':
      return runKeysCommand(rest);
    case 'evidence':
      return runEvidenceCommand(rest);
    case 'invariants':
      return runInvariantsCommand(rest);
    case 'specs':
      return runSpecsCommand(rest);
    case 'ci':
      return runCiCommand(rest);
    case 'governance':
      return runGovernanceCommand(rest);
    case 'mcp-proxy':
      return runMcpProxyCommand(rest);
    case 'report':
      return runReportCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"\n${usage}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (
      err instanceof UsageError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      console.error(`interlock: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof InterlockError) {
      console.error(`interlock: ${err.message}`);
      process.exitCode = 1;
    } else {
      console.error('interlock: unexpected error:', err);
      process.exitCode = 1;
    }
  },
);

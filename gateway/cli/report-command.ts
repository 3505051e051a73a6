/** `interlock report`: the handoff report over a window of a gateway's audit log. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.ts';
import { handoffMarkdown } from '../report/markdown.ts';
import { handoffReport } from '../report/read.ts';
import { reportWindow } from '../report/window.ts';
import { flagValue, openGatewayDatabase } from './args.ts';

export const reportUsage = `  interlock report --from TIME [--to TIME] [--config FILE | --db URL] [--json]
      The handoff report of a window (ISO times or durations back from now: 12h, 7d; --to
      defaults to now): actions and their outcome, incidents and recovery, rollbacks, level
      changes, breaker trips, emergency stops, approvals. Markdown, or JSON with --json.`;

export async function runReportCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      config: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const window = flagValue(() =>
    reportWindow(
      { field: '--from', value: values.from },
      { field: '--to', value: values.to },
      Date.now(),
    ),
  );
  const config = loadConfig(values.config);
  const opened = await openGatewayDatabase(values.db ?? config.database.url, '--db or --config');
  try {
    const report = await handoffReport(opened.db, window);
    console.log(values.json ? JSON.stringify(report, null, 2) : handoffMarkdown(report));
    return 0;
  } finally {
    await opened.close();
  }
}

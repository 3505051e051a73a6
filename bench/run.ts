/**
 * Runs the benchmarks and writes bench/results/<name>.json and .md. Usage: npm run bench [-- name…]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../gateway/paths.ts';
import { benchAudit } from './audit.ts';
import { benchDecisionLatency } from './decision-latency.ts';
import { benchGateway } from './gateway.ts';
import { benchHttpVsOpa } from './http-vs-opa.ts';
import { benchHistoryScale } from './history-scale.ts';
import { benchInvariantOverhead } from './invariant-overhead.ts';
import { benchMcpLatency } from './mcp-latency.ts';
import { benchNotifyHang } from './notify-hang.ts';
import { benchPolicyImpact } from './policy-impact.ts';
import { benchReplicas } from './replicas.ts';
import { machine } from './stats.ts';

const benches: Record<string, { run: () => Promise<unknown>; table: (r: never) => string }> = {
  'decision-latency': {
    run: benchDecisionLatency,
    table: (r: Awaited<ReturnType<typeof benchDecisionLatency>>) => {
      const row = (
        name: string,
        x: { count: number; p50Us: number; p99Us: number; maxUs: number },
        rate = '',
      ) => `| ${name} | ${x.count} | ${x.p50Us} µs | ${x.p99Us} µs | ${x.maxUs} µs | ${rate} |`;
      return [
        '| path | decisions | p50 | p99 | max | throughput |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        row(
          'Interlock in-process (Wasm, 1 thread), default policy',
          r.inProcess,
          `${r.inProcess.decisionsPerSecond}/s`,
        ),
        row(
          'same, shell analysis in Rego (host copy off)',
          r.regoShellAnalysis,
          `${r.regoShellAnalysis.decisionsPerSecond}/s`,
        ),
        row(
          `the gateway's bundle: default policy + ${r.withInvariants.invariants} invariants`,
          r.withInvariants,
          `${r.withInvariants.decisionsPerSecond}/s`,
        ),
        row(
          `\`opa run --server\` ${r.opaServer.opaVersion} over HTTP, concurrency ${r.opaServer.concurrency}`,
          r.opaServer,
          `${r.opaServer.requestsPerSecond}/s`,
        ),
        ...Object.entries(r.inProcess.byKind).map(([k, s]) => row(`default policy, ${k} only`, s)),
        ...Object.entries(r.regoShellAnalysis.byKind)
          .filter(([k]) => k === 'shell.exec')
          .map(([k, s]) => row(`host copy off, ${k} only`, s)),
        ...Object.entries(r.withInvariants.byKind).map(([k, s]) =>
          row(`with invariants, ${k} only`, s),
        ),
      ].join('\n');
    },
  },
  gateway: {
    run: benchGateway,
    table: (r: Awaited<ReturnType<typeof benchGateway>>) =>
      [
        '| measurement | n | p50 | p99 | max | throughput |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        `| propose → decision over HTTP, concurrency ${r.propose.concurrency}, audit on, SQLite | ${r.propose.count} | ${(r.propose.p50Us / 1000).toFixed(2)} ms | ${(r.propose.p99Us / 1000).toFixed(2)} ms | ${(r.propose.maxUs / 1000).toFixed(2)} ms | ${r.propose.requestsPerSecond}/s |`,
        `| emergency stop with ${r.estop.pendingPerRun} pending, ${r.estop.targets} roasters: request → every driver safe | ${r.estop.safeState.count} | ${r.estop.safeState.p50Ms} ms | ${r.estop.safeState.p99Ms} ms | ${r.estop.safeState.maxMs} ms | |`,
        `| same, request → response (all ${r.estop.pendingPerRun} cancelled and audited) | ${r.estop.response.count} | ${r.estop.response.p50Ms} ms | ${r.estop.response.p99Ms} ms | ${r.estop.response.maxMs} ms | |`,
      ].join('\n'),
  },
  'http-vs-opa': {
    run: benchHttpVsOpa,
    table: (r: Awaited<ReturnType<typeof benchHttpVsOpa>>) =>
      [
        `${r.wrk}, ${r.connections} connections, ${r.seconds} s each, one run; proposal \`${r.proposal.kind}\` (${r.effect}); OPA ${r.opaVersion}`,
        '',
        '| endpoint | requests | requests/s | p50 | p90 | p99 | vs. OPA |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...[
          ['`opa run --server`, `POST /v1/data/interlock/decision/result`', r.opa, 1],
          [
            'Interlock `POST /v1/decisions` (dry run, audited)',
            r.decisions,
            r.ratios.decisionsVsOpa,
          ],
          ['Interlock `POST /v1/actions` (stored, audited)', r.actions, r.ratios.actionsVsOpa],
        ].map(([name, x, ratio]) => {
          const run = x as Awaited<ReturnType<typeof benchHttpVsOpa>>['opa'];
          return `| ${String(name)} | ${run.requests} | ${run.requestsPerSecond} | ${run.p50Ms} ms | ${run.p90Ms} ms | ${run.p99Ms} ms | ${String(ratio)}× |`;
        }),
      ].join('\n'),
  },
  'history-scale': {
    run: benchHistoryScale,
    table: (r: Awaited<ReturnType<typeof benchHistoryScale>>) =>
      [
        `${r.wrk}, ${r.connections} connections, ${r.seconds} s each; \`POST /v1/actions\`, SQLite, durable commits; ${r.seededActions.toLocaleString('en')} actions seeded on the target in ${r.seedSeconds} s`,
        '',
        '| actions already on the target | proposals | proposals/s | p50 | p90 | p99 |',
        '| ---: | ---: | ---: | ---: | ---: | ---: |',
        ...[
          ['0', r.empty],
          [r.seededActions.toLocaleString('en'), r.seeded],
        ].map(([n, x]) => {
          const run = x as typeof r.empty;
          return `| ${String(n)} | ${run.requests} | ${run.requestsPerSecond} | ${run.p50Ms} ms | ${run.p90Ms} ms | ${run.p99Ms} ms |`;
        }),
        `| ratio | | ${r.ratio}× | | | |`,
      ].join('\n'),
  },
  invariants: {
    run: benchInvariantOverhead,
    table: (r: Awaited<ReturnType<typeof benchInvariantOverhead>>) =>
      [
        '| bundle | decisions | p50 | p90 | p99 | mean |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        `| shipped policies alone | ${r.without.count} | ${r.without.p50Us} µs | ${r.without.p90Us} µs | ${r.without.p99Us} µs | ${r.without.meanUs} µs |`,
        `| with all ${r.invariants} invariants | ${r.with.count} | ${r.with.p50Us} µs | ${r.with.p90Us} µs | ${r.with.p99Us} µs | ${r.with.meanUs} µs |`,
        `| ratio | | ${r.p50Ratio}× | | ${r.p99Ratio}× | |`,
      ].join('\n'),
  },
  replicas: {
    run: benchReplicas,
    table: (r: Awaited<ReturnType<typeof benchReplicas>>) =>
      [
        `| database | gateway processes | proposals | throughput | p50 | p99 | CPU busy (all cores) | vs. 1 process on PostgreSQL |`,
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...r.runs.map((x) => {
          const base =
            r.runs.find((y) => y.database === 'postgres' && y.replicas === 1)?.requestsPerSecond ??
            1;
          return `| ${x.database === 'sqlite' ? 'SQLite (WAL, synchronous=FULL, group commit)' : 'PostgreSQL (fsync on, group commit)'} | ${x.replicas} | ${x.proposals} | ${x.requestsPerSecond}/s | ${x.p50Ms} ms | ${x.p99Ms} ms | ${x.cpuBusyPercent} % | ${x.database === 'postgres' ? `${Math.round((x.requestsPerSecond / base) * 100) / 100}×` : ''} |`;
        }),
      ].join('\n'),
  },
  'notify-hang': {
    run: benchNotifyHang,
    table: (r: Awaited<ReturnType<typeof benchNotifyHang>>) =>
      [
        `${r.proposals} sequential proposals over HTTP (each a pending approval that raises a notification), SQLite, durable commits`,
        '',
        '| notification sink | p50 | p90 | p99 | max | pending approvals | deliveries done / waiting |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...r.runs.map(
          (x) =>
            `| ${x.sink} | ${(x.latency.p50Us / 1000).toFixed(2)} ms | ${(x.latency.p90Us / 1000).toFixed(2)} ms | ${(x.latency.p99Us / 1000).toFixed(2)} ms | ${(x.latency.maxUs / 1000).toFixed(2)} ms | ${x.pendingApprovals} | ${x.deliveries.delivered} / ${x.deliveries.pending} |`,
        ),
      ].join('\n'),
  },
  'mcp-latency': {
    run: benchMcpLatency,
    table: (r: Awaited<ReturnType<typeof benchMcpLatency>>) =>
      [
        '| path of an allowed `read_text_file` (server-filesystem over stdio) | calls | p50 | p99 | max | added p50 | added p99 |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        `| direct: SDK client → server | ${r.direct.calls} | ${r.direct.p50Ms} ms | ${r.direct.p99Ms} ms | ${r.direct.maxMs} ms | | |`,
        `| SDK client → Interlock \`/mcp\` (Streamable HTTP; decided, stored, audited on SQLite) → server | ${r.http.calls} | ${r.http.p50Ms} ms | ${r.http.p99Ms} ms | ${r.http.maxMs} ms | ${r.http.addedP50Ms} ms | ${r.http.addedP99Ms} ms |`,
        `| SDK client → \`interlock mcp-proxy\` (stdio) → \`/mcp\` → server | ${r.proxy.calls} | ${r.proxy.p50Ms} ms | ${r.proxy.p99Ms} ms | ${r.proxy.maxMs} ms | ${r.proxy.addedP50Ms} ms | ${r.proxy.addedP99Ms} ms |`,
      ].join('\n'),
  },
  'policy-impact': {
    run: benchPolicyImpact,
    table: (r: Awaited<ReturnType<typeof benchPolicyImpact>>) =>
      [
        `${r.decisions} recorded decisions (SQLite, ${r.databaseMiB} MiB, seeded in ${r.seedSeconds} s through recordDecision). \`interlock policy impact\` run as a separate process; the target is under 60 s.`,
        '',
        '| candidate | replayed | looser | tighter | other | replay | decisions/s | whole command | exit |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...(
          [
            ['the shipped tree (no change)', r.same],
            ['roaster.set_power taken out of L3+', r.candidate],
            ['the same, `--baseline` the shipped tree (each input decided twice)', r.withBaseline],
          ] as const
        ).map(
          ([name, x]) =>
            `| ${name} | ${x.replayed} | ${x.totals.loosened} | ${x.totals.tightened} | ${x.totals.changed} | ${x.replaySeconds} s | ${x.decisionsPerSecond}/s | **${x.wallSeconds} s** | ${x.exitCode} |`,
        ),
      ].join('\n'),
  },
  audit: {
    run: benchAudit,
    table: (r: Awaited<ReturnType<typeof benchAudit>>) =>
      [
        '| measurement | records | records/s | incl. signing the last checkpoint | checkpoints |',
        '| --- | ---: | ---: | ---: | ---: |',
        ...r.appends.map(
          (a) =>
            `| durable append, SQLite WAL synchronous=${a.synchronous}, ${a.recordsPerTransaction === 1 ? 'one record per transaction (appendAudit)' : `${a.recordsPerTransaction} records per transaction (appendAuditMany)`}, checkpointer signing every 1000 | ${a.records} | ${a.recordsPerSecond} | ${a.signedRecordsPerSecond} | ${a.checkpoints} |`,
        ),
        `| full verification (chain, Merkle roots, ECDSA signatures), SQLite, one thread | ${r.verify.records} | ${r.verify.recordsPerSecond} | | ${r.verify.checkpoints} |`,
        `| same, ${r.verifyParallel.workers} worker threads (\`audit verify --db sqlite:…\`) | ${r.verify.records} | ${r.verifyParallel.recordsPerSecond} | | ${r.verify.checkpoints} |`,
      ].join('\n'),
  },
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
const names = wanted.length ? wanted : Object.keys(benches);
const out = path.join(projectRoot, 'bench', 'results');
await mkdir(out, { recursive: true });
for (const name of names) {
  const bench = benches[name];
  if (!bench)
    throw new Error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}`);
  console.error(`running ${name}…`);
  const result = await bench.run();
  const record = { name, date: new Date().toISOString(), machine: machine(), result };
  const table = bench.table(result as never);
  await writeFile(path.join(out, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  await writeFile(
    path.join(out, `${name}.md`),
    `# ${name}\n\n${record.date}, ${record.machine.cpu} (${record.machine.cores} cores), Node ${record.machine.node}\n\n${table}\n`,
  );
  console.log(table);
}

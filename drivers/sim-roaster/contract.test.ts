/** The simulated roaster under the driver contract suite; actuations are read from its journal. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { driverContract } from '../contract.suite.ts';
import { SimRoasterDriver } from './driver.ts';

driverContract(
  'sim-roaster',
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-sim-contract-'));
    const journalFile = path.join(dir, 'journal.jsonl');
    let latencyMs = 0;
    const make = () =>
      new SimRoasterDriver({ mode: 'RUNNING', timeScale: 1e-6, journalFile, latencyMs });
    const harness = {
      driver: make(),
      command: (n: number) => ({
        id: `cmd-${n}`,
        kind: 'roaster.set_fan',
        params: { value: (n % 9) + 1 },
      }),
      slowCommand: (n: number) => {
        latencyMs = 1000;
        harness.driver = make();
        return { id: `slow-${n}`, kind: 'roaster.set_fan', params: { value: 5 } };
      },
      actuations: async () =>
        readFileSync(journalFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .filter((l) => (JSON.parse(l) as { event: string }).event === 'applied').length,
      restart: async () => make(),
      isSafe: async () => (await harness.driver.readState()).power === 0,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
    return harness;
  },
  { timeout: 'the simulator answers in-process; it has no link that can stall' },
);

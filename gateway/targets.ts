/** The configured targets and their drivers. Drivers are created by name from the config. */
import { z } from 'zod';
import { SimRoasterDriver, SimRoasterOptionsSchema } from '../drivers/sim-roaster/driver.ts';
import { HttpDriver, HttpOptionsSchema } from '../drivers/http/driver.ts';
import { McpDriver, McpOptionsSchema } from '../drivers/mcp/driver.ts';
import { RadioSimDriver, RadioSimOptionsSchema } from '../drivers/radio-sim/driver.ts';
import { ShellDriver, ShellOptionsSchema } from '../drivers/shell/driver.ts';
import { TcpLineDriver, TcpLineOptionsSchema } from '../drivers/tcp-line/driver.ts';
import type { TargetConfig } from './config/config.ts';
import type { Driver } from './schema/driver.ts';
import { describeIssues, fieldIssues, ValidationError } from './schema/errors.ts';

type DriverFactory = (options: Record<string, unknown>) => Driver;

const factories: Record<string, DriverFactory> = {
  'sim-roaster': (options) => new SimRoasterDriver(SimRoasterOptionsSchema.parse(options)),
  'tcp-line': (options) => new TcpLineDriver(TcpLineOptionsSchema.parse(options)),
  shell: (options) => new ShellDriver(ShellOptionsSchema.parse(options)),
  http: (options) => new HttpDriver(HttpOptionsSchema.parse(options)),
  'radio-sim': (options) => new RadioSimDriver(RadioSimOptionsSchema.parse(options)),
  mcp: (options) => new McpDriver(McpOptionsSchema.parse(options)),
};

export interface Target {
  id: string;
  driverName: string;
  /** The level the target starts at before anyone changes it. */
  initialLevel: string;
  driver: Driver;
}

export function createTargets(configs: TargetConfig[]): Map<string, Target> {
  const targets = new Map<string, Target>();
  configs.forEach((config, index) => {
    const factory = factories[config.driver];
    if (!factory) {
      throw new ValidationError(
        `target ${config.id}: unknown driver "${config.driver}" (known: ${Object.keys(factories).join(', ')})`,
        [{ field: `targets.${index}.driver`, message: `unknown driver ${config.driver}` }],
      );
    }
    let driver: Driver;
    try {
      driver = factory(config.options);
    } catch (err) {
      const issues =
        err instanceof z.ZodError
          ? fieldIssues(err.issues, ['targets', String(index), 'options'])
          : [
              {
                field: `targets.${index}.options`,
                message: err instanceof Error ? err.message : String(err),
              },
            ];
      throw new ValidationError(`target ${config.id}: ${describeIssues(issues)}`, issues);
    }
    targets.set(config.id, {
      id: config.id,
      driverName: config.driver,
      initialLevel: config.level,
      driver,
    });
  });
  return targets;
}

import { expect, it } from 'vitest';
import { ValidationError } from '../schema/errors.ts';
import { sinksFromConfig } from '../notify/sinks/index.ts';
import { NotificationsSchema } from './notifications.ts';

it('names the field of a route to a sink that does not exist, or a sink defined twice', () => {
  const bad = NotificationsSchema.safeParse({
    sinks: [
      { name: 'a', type: 'webhook', url: 'http://x.test/h', secretEnv: 'K' },
      { name: 'a', type: 'slack', urlEnv: 'S' },
    ],
    routes: [{ sinks: ['b'] }],
  });
  expect(bad.success).toBe(false);
  const paths = bad.error?.issues.map((i) => i.path.join('.'));
  expect(paths).toEqual(expect.arrayContaining(['sinks.1.name', 'routes.0.sinks.0']));
  expect(NotificationsSchema.safeParse({ sinks: [{ name: 's', type: 'slack' }] }).success).toBe(
    false,
  );
  expect(
    NotificationsSchema.safeParse({
      sinks: [{ name: 'w', type: 'webhook', url: 'file:///etc/passwd', secretEnv: 'K' }],
    }).success,
  ).toBe(false);
});

it('refuses to build a sink whose secret is not in the environment', () => {
  const config = NotificationsSchema.parse({
    sinks: [
      { name: 'w', type: 'webhook', url: 'http://x.test/h', secretEnv: 'NOT_SET_ANYWHERE_1' },
    ],
  });
  expect(() => sinksFromConfig(config.sinks, {})).toThrow(ValidationError);
  expect(() => sinksFromConfig(config.sinks, {})).toThrow(/NOT_SET_ANYWHERE_1 is not set/);
  expect(sinksFromConfig(config.sinks, { NOT_SET_ANYWHERE_1: 'k' }).get('w')?.name).toBe('w');
});

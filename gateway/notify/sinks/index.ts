/** Builds the configured sinks, reading their secrets from the environment once, at start. */
import type { SinkConfig } from '../../config/notifications.ts';
import { ValidationError } from '../../schema/errors.ts';
import { emailSink } from './email.ts';
import type { Sink } from './sink.ts';
import { slackSink } from './slack.ts';
import { webhookSink } from './webhook.ts';

export type { Sink };

export function sinksFromConfig(
  configs: readonly SinkConfig[],
  env: NodeJS.ProcessEnv = process.env,
): Map<string, Sink> {
  const sinks = new Map<string, Sink>();
  configs.forEach((c, i) => {
    const secret = (field: string, name: string): string => {
      const value = env[name];
      if (!value)
        throw new ValidationError(
          `notification sink ${c.name}: environment variable ${name} is not set`,
          [{ field: `notifications.sinks.${i}.${field}`, message: `${name} is not set` }],
        );
      return value;
    };
    switch (c.type) {
      case 'webhook':
        sinks.set(
          c.name,
          webhookSink({
            name: c.name,
            url: c.url,
            secret: secret('secretEnv', c.secretEnv),
            timeoutMs: c.timeoutMs,
          }),
        );
        break;
      case 'slack': {
        const url = c.url ?? secret('urlEnv', c.urlEnv ?? '');
        if (!/^https?:\/\/[^\s]+$/.test(url) || !URL.canParse(url))
          throw new ValidationError(
            `notification sink ${c.name}: the Slack URL is not an http(s) URL`,
            [{ field: `notifications.sinks.${i}.urlEnv`, message: 'not an http(s) URL' }],
          );
        sinks.set(
          c.name,
          slackSink({
            name: c.name,
            url,
            timeoutMs: c.timeoutMs,
          }),
        );
        break;
      }
      case 'email':
        sinks.set(
          c.name,
          emailSink({
            name: c.name,
            timeoutMs: c.timeoutMs,
            smtp: {
              host: c.smtp.host,
              port: c.smtp.port,
              secure: c.smtp.secure,
              ...(c.smtp.user ? { user: c.smtp.user } : {}),
              ...(c.smtp.passwordEnv
                ? { password: secret('smtp.passwordEnv', c.smtp.passwordEnv) }
                : {}),
            },
            from: c.from,
            to: c.to,
          }),
        );
        break;
    }
  });
  return sinks;
}

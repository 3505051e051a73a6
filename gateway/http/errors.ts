/** The one place error codes become HTTP statuses, and every error body has one shape. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  InterlockError,
  ValidationError,
  type ErrorCode,
  type FieldIssue,
} from '../schema/errors.ts';
import { databaseUnavailable } from '../lifecycle/deps.ts';

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  validation_failed: 422,
  unknown_kind: 422,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  deadline_passed: 409,
  payload_too_large: 413,
  verification_failed: 422,
  key_unusable: 500,
  policy_unavailable: 503,
  database_unavailable: 503,
  gateway_unreachable: 502,
  toolchain_missing: 503,
  policy_compile_failed: 500,
  policy_data_invalid: 500,
  policy_unsigned: 422,
  policy_seal_invalid: 422,
  policy_seal_untrusted: 422,
  policy_seal_mismatch: 422,
  policy_seal_stale: 422,
  internal: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; field?: string; issues?: FieldIssue[] };
}

export function errorBody(
  code: string,
  message: string,
  field?: string,
  issues?: FieldIssue[],
): ErrorBody {
  return {
    error: {
      code,
      message,
      ...(field ? { field } : {}),
      ...(issues && issues.length > 0 ? { issues } : {}),
    },
  };
}

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code];
}

/**
 * onError: typed errors map to their status; anything unexpected is a logged 500 that says little.
 */
export function handleError(err: Error, c: Context, log: (err: unknown) => void): Response {
  if (err instanceof ValidationError)
    return c.json(errorBody(err.code, err.message, err.field, err.issues), STATUS[err.code]);
  if (err instanceof InterlockError)
    return c.json(errorBody(err.code, err.message, err.field), STATUS[err.code]);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code =
      status === 413
        ? 'payload_too_large'
        : status === 401
          ? 'unauthorized'
          : status < 500
            ? 'bad_request'
            : 'internal';
    return c.json(
      errorBody(code, err.message || 'bad request', status === 400 ? '(body)' : undefined),
      status,
    );
  }
  if (databaseUnavailable(err)) {
    c.header('Retry-After', '1');
    return c.json(
      errorBody(
        'database_unavailable',
        'the database is unavailable: nothing was recorded and nothing executed; retry shortly',
      ),
      503,
    );
  }
  log(err);
  return c.json(
    errorBody('internal', 'internal error; the request had no effect it did not record'),
    500,
  );
}

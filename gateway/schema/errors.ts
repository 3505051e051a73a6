/**
 * Interlock's error classes. Every error carries a stable `code` from a closed set;
 * the HTTP layer maps codes to statuses in exactly one place.
 */
import { z } from 'zod';

export type ErrorCode =
  | 'validation_failed'
  | 'unknown_kind'
  | 'policy_compile_failed'
  | 'policy_unavailable'
  | 'policy_data_invalid'
  | 'policy_unsigned'
  | 'policy_seal_invalid'
  | 'policy_seal_untrusted'
  | 'policy_seal_mismatch'
  | 'policy_seal_stale'
  | 'toolchain_missing'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'deadline_passed'
  | 'payload_too_large'
  | 'verification_failed'
  | 'key_unusable'
  | 'database_unavailable'
  | 'gateway_unreachable'
  | 'internal';

/** A problem with one input field, named by its dotted path. */
export const FieldIssueSchema = z.object({ field: z.string(), message: z.string() });
export type FieldIssue = z.infer<typeof FieldIssueSchema>;

/** A schema library's issue: where (path) and what (message). zod's issues have this shape. */
interface PathIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * fieldIssues names each issue's field by its dotted path under `prefix`; an empty path is
 * `fallback`.
 */
export function fieldIssues(
  issues: readonly PathIssue[],
  prefix: readonly string[] = [],
  fallback = '(body)',
): FieldIssue[] {
  return issues.map((i) => ({
    field: [...prefix, ...i.path.map(String)].join('.') || fallback,
    message: i.message,
  }));
}

/** describeIssues is the one-line message for a list of field issues. */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ');
}

/** The base class of every error Interlock raises on purpose. */
export class InterlockError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; field?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
  }
}

/** Input that fails its schema; `issues` names every offending field. */
export class ValidationError extends InterlockError {
  readonly issues: FieldIssue[];

  constructor(message: string, issues: FieldIssue[], code: ErrorCode = 'validation_failed') {
    super(code, message, { field: issues[0]?.field });
    this.issues = issues;
  }
}

/** A location in a source file, as reported by a compiler. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
  message: string;
}

/** Rego or policy data that does not compile; `locations` point at the offending lines. */
export class PolicyCompileError extends InterlockError {
  readonly locations: SourceLocation[];

  constructor(message: string, locations: SourceLocation[], options: { cause?: unknown } = {}) {
    super('policy_compile_failed', message, options);
    this.locations = locations;
  }
}

/** An external tool (opa, java) that the setup script installs is missing. */
export class ToolchainMissingError extends InterlockError {
  constructor(tool: string, path: string) {
    super(
      'toolchain_missing',
      `${tool} not found at ${path}: run \`npm run setup\` (scripts/setup.sh) first`,
    );
  }
}

/** Evidence (a signature, a chain, a proof) that does not hold; the message says what and where. */
export class VerificationError extends InterlockError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('verification_failed', message, options);
  }
}

/** A signing or verification key that is missing, malformed, exposed or would be overwritten. */
export class KeyError extends InterlockError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('key_unusable', message, options);
  }
}

/**
 * A policy tree the gateway may not load under `policy.requireSignature`: no seal, a seal that is
 * not one, a signature from a key or identity it does not trust, or sources that differ from the
 * signed ones.
 */
export class PolicySealError extends InterlockError {
  constructor(
    code:
      | 'policy_unsigned'
      | 'policy_seal_invalid'
      | 'policy_seal_untrusted'
      | 'policy_seal_mismatch'
      | 'policy_seal_stale',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** The shell analysis the policy reads (interlock.lib.command) and the word lists it uses. */
import { z } from 'zod';

/** data.shell.syntax: what the shell analysis knows about programs. */
export const ShellSyntaxSchema = z.strictObject({
  shells: z.array(z.string()),
  interpreters: z.array(z.string()),
  wrappers: z.record(z.string(), z.array(z.string())),
  wrapper_own_positionals: z.record(z.string(), z.number().int().min(0)),
});

export type ShellSyntax = z.infer<typeof ShellSyntaxSchema>;

/**
 * One command line's analysis, in the shape of interlock.lib.command's `reference` rule.
 * Rego sets travel as JSON arrays; the policy reads them back as sets, so order and repeats
 * carry no meaning.
 */
export interface ShellAnalysis {
  line: string;
  commands: string[][];
  scripts: string[];
  invocations: string[][];
  operators: string[];
  piped_into: string[];
  too_deep: boolean;
  ambiguous_quoting: boolean;
}

/** The shell analysis the policy reads (interlock.lib.command) and the word lists it uses. */
import { z } from 'zod';

/** data.shell.syntax: what the shell analysis knows about programs. */
/**
 * How one program's options are read (GNU getopt): which take a value, which a whole command line.
 */
export const OptionSpecSchema = z.strictObject({
  short_flags: z.array(z.string().length(1)).optional(),
  short_values: z.array(z.string().length(1)).optional(),
  short_opaque: z.array(z.string().length(1)).optional(),
  long_flags: z.array(z.string().min(1)).optional(),
  long_values: z.array(z.string().min(1)).optional(),
  long_opaque: z.array(z.string().min(1)).optional(),
  /**
   * Positional arguments that belong to the program before the command it runs (timeout's
   * duration).
   */
  own_positionals: z.number().int().min(0).optional(),
  /** env: NAME=VALUE words before the command are assignments. */
  assignments: z.boolean().optional(),
  /** Shells: +x is an option too. */
  plus_options: z.boolean().optional(),
});

export type OptionSpec = z.infer<typeof OptionSpecSchema>;

export const ShellSyntaxSchema = z.strictObject({
  shells: z.array(z.string()),
  shell_options: OptionSpecSchema,
  interpreters: z.array(z.string()),
  deletion_markers: z.array(
    z
      .string()
      .min(1)
      .refine((m) => m === m.toLowerCase(), 'lower case (compared with lower-cased words)'),
  ),
  opaque_programs: z.array(z.string()),
  code_runners: z.array(z.string()).default([]),
  wrappers: z.record(
    z.string(),
    OptionSpecSchema.nullable().transform((s) => s ?? {}),
  ),
});

export type ShellSyntax = z.infer<typeof ShellSyntaxSchema>;

export interface OptionProblem {
  program: string;
  option: string;
  problem: 'opaque' | 'unknown' | 'ambiguous_value';
}

/**
 * One argv's analysis, in the shape of interlock.lib.command's `reference` rule.
 * Rego sets travel as JSON arrays; the policy reads them back as sets, so order and repeats
 * carry no meaning.
 */
export interface ShellAnalysis {
  argv: string[];
  invocations: string[][];
  scripts: string[];
  script_operators: string[];
  piped_into: string[];
  option_problems: OptionProblem[];
  too_deep: boolean;
  ambiguous_quoting: boolean;
  hidden_character: boolean;
}

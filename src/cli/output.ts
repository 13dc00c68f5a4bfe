/**
 * How every command speaks: results on stdout (JSON with `--json`, text otherwise), problems as
 * one line `cb: …` on stderr with a non-zero exit. Their logs go to stderr; only `cb start` logs on
 * stdout (a service's log stream).
 */
import { BaseError, ConfigError } from '../platform/errors.ts';
import { redactString } from '../platform/redact.ts';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * A reader that stops early (`cb logs search | head`) closes the pipe: the writes after it fail
 * with EPIPE. The output was wanted up to there, so the command ends quietly, exit code 0, as the
 * shell's own tools do — instead of an unhandled error and its stack. Not for `cb start`, whose
 * stdout is its log stream: there a lost log reader is the process manager's to see.
 */
export function endQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
  );
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/**
 * Progress of a long command on stderr (stdout keeps its report): `prefix: line`, at most once per
 * `everyMs`; `line` is built only when it is written.
 */
export function progressWriter(prefix: string, everyMs = 2000): (line: () => string) => void {
  let last = performance.now();
  return (line) => {
    if (performance.now() - last < everyMs) return;
    last = performance.now();
    process.stderr.write(`${prefix}: ${line()}\n`);
  };
}

/** `done` of `total` as a whole percentage, rounded down; 100 when there is nothing to do. */
export function percent(done: number | bigint, total: number | bigint): number {
  return Number(total) <= 0 ? 100 : Math.floor((100 * Number(done)) / Number(total));
}

export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  const cell = (v: unknown) =>
    v === null || v === undefined ? '-' : v instanceof Date ? v.toISOString() : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  printLine(columns.map((c, i) => c.toUpperCase().padEnd(widths[i]!)).join('  '));
  for (const r of rows) printLine(columns.map((c, i) => cell(r[c]).padEnd(widths[i]!)).join('  '));
}

/** Prints the error as one line per problem on stderr and exits. */
export function exitWithError(error: unknown): never {
  if (error instanceof ConfigError) {
    for (const issue of error.issues)
      process.stderr.write(`cb: invalid configuration: ${issue.setting}: ${issue.message}\n`);
    process.exit(1);
  }
  if (error instanceof CliError) {
    process.stderr.write(`cb: ${redactString(error.message)}\n`);
    process.exit(error.exitCode);
  }
  if (error instanceof BaseError) {
    process.stderr.write(`cb: ${redactString(error.message)} [${error.code}]\n`);
    process.exit(1);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`cb: unexpected error: ${redactString(message)}\n`);
  process.exit(1);
}

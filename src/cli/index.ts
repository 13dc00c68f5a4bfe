/**
 * `cb`: one binary, one file per command. Every command has `--help`, prints JSON with `--json`
 * where it prints results, and exits non-zero with one line `cb: …` on stderr on bad input.
 * Exit codes: 0 ok, 1 error, 2 usage, 3 `reconcile` found differences (and did not fix them), or a
 * check failed (`backup verify`, `audit verify`).
 *
 * The commands are listed in `./program.ts`, which loads only the one being run.
 */
import { CommanderError } from 'commander';
import { endQuietlyOnClosedStdout, exitWithError } from './output.ts';
import { buildProgram } from './program.ts';

if (process.argv[2] !== 'start') endQuietlyOnClosedStdout();

try {
  const program = await buildProgram(process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander already printed help, the version, or its own one-line error.
    process.exit(err.exitCode === 1 ? 2 : err.exitCode);
  }
  exitWithError(err);
}

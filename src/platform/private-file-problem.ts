/**
 * `privateFileProblem`: why a file meant to hold a secret (a key) cannot be trusted with it, or
 * undefined when it can. It must be a regular file the process can stat, and the owner's alone:
 * one that group or others can access protects nothing (as ssh wants of a private key). The text
 * names the path and the fix, never the content; callers wrap it in their own error.
 */
import { statSync } from 'node:fs';

export function privateFileProblem(path: string): string | undefined {
  let mode: number;
  try {
    const info = statSync(path);
    if (!info.isFile()) return 'not a regular file';
    mode = info.mode & 0o777;
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if ((mode & 0o077) !== 0)
    return `group or others have access to it (mode 0${mode.toString(8)}): \`chmod 600 ${path}\`, owned by the user cb runs as`;
  return undefined;
}

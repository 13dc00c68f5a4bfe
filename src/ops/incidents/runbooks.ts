/**
 * The alerts' runbooks: every shipped rule names one in its `runbook_url` annotation as a path in
 * this repository (`docs/runbooks/<Alert>.md`). A path is no link in Slack or an email, so the
 * instance serves them — `GET /v1/runbooks/:name`, the Markdown as it is, no key needed (they hold
 * procedures, nothing secret; the repository ships them too) — and notifications link there when
 * `CB_PUBLIC_URL` says where the instance is reachable ({@link runbookLink}).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../../platform/errors.ts';

export const RUNBOOKS_DIR = fileURLToPath(new URL('../../../docs/runbooks', import.meta.url));

/** A runbook's name: the alert's, as in its file name. */
const NAME = '[A-Za-z0-9_-]{1,100}';
const RUNBOOK_NAME = new RegExp(`^${NAME}$`);
const SHIPPED_PATH = new RegExp(`^docs/runbooks/(${NAME})\\.md$`);

/**
 * Where a responder opens the runbook of an alert: `<publicUrl>/v1/runbooks/<name>` for a shipped
 * runbook path when the public URL is known; any other annotation (an absolute URL, a wiki page)
 * as it is; null without one.
 */
export function runbookLink(annotation: string | undefined, publicUrl: string | undefined): string | null {
  if (!annotation) return null;
  const name = SHIPPED_PATH.exec(annotation)?.[1];
  if (name && publicUrl) return `${publicUrl.replace(/\/+$/, '')}/v1/runbooks/${name}`;
  return annotation;
}

/**
 * The Markdown of runbook `name`.
 * @throws NotFoundError OPS_RUNBOOK_NOT_FOUND for a name that is not a runbook's.
 */
export async function readRunbook(name: string): Promise<string> {
  const missing = () =>
    new NotFoundError(`no runbook is named "${name.slice(0, 100)}"`, 'OPS_RUNBOOK_NOT_FOUND');
  if (!RUNBOOK_NAME.test(name)) throw missing();
  try {
    return await readFile(join(RUNBOOKS_DIR, `${name}.md`), 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') throw missing();
    throw err;
  }
}

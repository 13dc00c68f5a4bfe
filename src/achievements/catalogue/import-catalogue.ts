/**
 * `cb achievements import <file>`: a whole catalogue from YAML (or JSON, which is YAML) —
 * `achievements: [ {id, name, …, rule}, … ]` — validated together and saved in one transaction.
 * Importing the same file again changes nothing (unchanged definitions keep their version).
 */
import { parse } from 'yaml';
import type { Db } from '../../platform/db/create-db.ts';
import { ValidationError } from '../../platform/errors.ts';
import { type SavedAchievement, saveAchievements } from './save-achievements.ts';

export function parseCatalogueFile(text: string): unknown[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ValidationError(`not valid YAML: ${(err as Error).message}`, [], 'ACH_CATALOGUE_FILE_INVALID');
  }
  const list = Array.isArray(doc) ? doc : (doc as { achievements?: unknown } | null)?.achievements;
  if (!Array.isArray(list)) {
    throw new ValidationError(
      'the file must hold a list of achievements, or { achievements: [...] }',
      [],
      'ACH_CATALOGUE_FILE_INVALID',
    );
  }
  return list;
}

export async function importCatalogue(db: Db, text: string, actor: string): Promise<SavedAchievement[]> {
  const list = parseCatalogueFile(text);
  return saveAchievements(db, list, { actor, mode: 'upsert', pathPrefix: (i) => `achievements.${i}` });
}

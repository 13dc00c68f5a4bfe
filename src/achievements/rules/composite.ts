import { checkOneOf, checkPositiveInteger, checkRule, checkStringList } from './check.ts';
import type { RuleValidator } from './rule-type.ts';
import type { RuleIssue } from './types.ts';

const FIELDS = ['type', 'mode', 'achievements', 'n'] as const;
const MODES = ['all', 'any', 'at_least'] as const;

/** Most achievements one composite may reference. */
export const MAX_COMPOSITE_ACHIEVEMENTS = 1000;

/**
 * `{ type: 'composite', mode, achievements, n? }`: unlocked by other achievements (`all` of them,
 * `any` one, or `at_least` `n`). Not fed events and without state: see `evaluateComposite`.
 *
 * Validation: `achievements` is a non-empty list of unique ids; `n` is required for `at_least`
 * (1 ≤ n ≤ the number of achievements) and refused otherwise. That the ids exist and that
 * composites form no cycle is for the catalogue to check (see `compositeCycles`).
 */
export const composite: RuleValidator<'composite'> = {
  type: 'composite',

  validate(def, path) {
    const issues: RuleIssue[] = [];
    if (!checkRule(def, path, 'composite', FIELDS, issues)) return issues;
    const modeOk = checkOneOf(def.mode, `${path}.mode`, MODES, issues);
    const achievements = checkStringList(def.achievements, `${path}.achievements`, issues)
      ? def.achievements
      : undefined;
    if (achievements !== undefined && achievements.length > MAX_COMPOSITE_ACHIEVEMENTS) {
      issues.push({
        path: `${path}.achievements`,
        message: `must list at most ${MAX_COMPOSITE_ACHIEVEMENTS} achievements, got ${achievements.length}`,
      });
    }
    if (!modeOk) return issues;
    if (def.mode !== 'at_least') {
      if (def.n !== undefined) {
        issues.push({
          path: `${path}.n`,
          message: `only allowed with mode "at_least" (mode is "${def.mode}")`,
        });
      }
      return issues;
    }
    if (def.n === undefined) {
      issues.push({
        path: `${path}.n`,
        message: 'required with mode "at_least": how many of the achievements',
      });
    } else {
      checkPositiveInteger(def.n, `${path}.n`, issues, achievements?.length);
    }
    return issues;
  },
};

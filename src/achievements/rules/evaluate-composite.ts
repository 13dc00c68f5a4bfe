import type { CompositeDefinition } from './rule-type.ts';
import type { Progress } from './types.ts';

/**
 * Where a member stands on a composite rule, given the ids of the achievements they have unlocked.
 * `current` is how many of the referenced achievements are unlocked (not capped); `target` is all of
 * them (`all`), 1 (`any`) or `n` (`at_least`).
 */
export function evaluateComposite(
  def: CompositeDefinition,
  unlockedAchievementIds: ReadonlySet<string>,
): Progress {
  const current = def.achievements.filter((id) => unlockedAchievementIds.has(id)).length;
  const target =
    def.mode === 'all'
      ? def.achievements.length
      : def.mode === 'any'
        ? 1
        : (def.n ?? def.achievements.length);
  return { current, target, done: current >= target };
}

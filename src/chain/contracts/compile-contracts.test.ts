import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  BADGE_MODULE,
  compileAchievementBadge,
  renderAchievementBadgeModule,
} from '../../../scripts/compile-contracts.ts';
import { achievementBadgeBytecode } from '../abi/AchievementBadge.ts';

describe('compile-contracts', () => {
  test('behavior: the committed ABI and bytecode are fresh (npm run gen)', () => {
    const compiled = compileAchievementBadge();
    expect(compiled.bytecode).toBe(achievementBadgeBytecode);
    expect(renderAchievementBadgeModule(compiled)).toBe(readFileSync(BADGE_MODULE, 'utf8'));
  });
});

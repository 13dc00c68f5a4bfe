import { describe, expect, test } from 'vitest';
import { scopeAllows as serverScopeAllows } from '../../../../src/platform/apikeys/scopes.ts';
import { scopeAllows } from './scope-allows.ts';

const CASES: [string[], string, boolean][] = [
  [['incidents:write'], 'incidents:write', true],
  [['incidents:read'], 'incidents:write', false],
  [['incidents:write'], 'incidents:read', false],
  [[], 'incidents:read', false],
  [['admin'], 'incidents:write', true],
  [['incidents:admin'], 'incidents:write', true],
  [['ops:admin'], 'incidents:write', false],
  [['ops:read', 'incidents:read'], 'incidents:read', true],
];

describe('scopeAllows (console copy)', () => {
  test('default: a scope grants itself; admin everything; <resource>:admin its resource', () => {
    for (const [granted, required, allowed] of CASES)
      expect(scopeAllows(granted, required), `${granted.join(',')} → ${required}`).toBe(allowed);
  });

  test('behavior: answers as the server does', () => {
    for (const [granted, required] of CASES)
      expect(scopeAllows(granted, required)).toBe(
        serverScopeAllows(granted, required as `${string}:${string}`),
      );
  });
});

import { describe, expect, test } from 'vitest';
import { isScope, parseScopes, scopeAllows } from './scopes.ts';

describe('isScope', () => {
  test('default: admin and resource:action are scopes', () => {
    for (const s of ['admin', 'events:write', 'achievements:admin', 'incidents:write', 'voting-power:read'])
      expect(isScope(s)).toBe(true);
  });

  test('error: anything else is not', () => {
    for (const s of [
      '',
      'Admin',
      'events',
      'events:',
      ':write',
      'a:b:c',
      'events:Write',
      '1x:read',
      'e v:read',
    ])
      expect(isScope(s)).toBe(false);
    expect(isScope(42)).toBe(false);
    expect(isScope(`a:${'b'.repeat(33)}`)).toBe(false);
  });
});

describe('parseScopes', () => {
  test('behavior: duplicates are dropped, order kept', () => {
    expect(parseScopes(['events:write', 'admin', 'events:write'])).toEqual(['events:write', 'admin']);
  });
});

describe('scopeAllows', () => {
  test('default: a scope grants itself only', () => {
    expect(scopeAllows(['events:write'], 'events:write')).toBe(true);
    expect(scopeAllows(['events:write'], 'events:read')).toBe(false);
    expect(scopeAllows(['events:write'], 'incidents:write')).toBe(false);
    expect(scopeAllows([], 'events:write')).toBe(false);
  });

  test('behavior: admin grants everything, <resource>:admin grants that resource', () => {
    expect(scopeAllows(['admin'], 'incidents:write')).toBe(true);
    expect(scopeAllows(['achievements:admin'], 'achievements:write')).toBe(true);
    expect(scopeAllows(['achievements:admin'], 'achievements:admin')).toBe(true);
    expect(scopeAllows(['achievements:admin'], 'events:write')).toBe(false);
    expect(scopeAllows(['achievements:admin'], 'admin')).toBe(false);
  });
});

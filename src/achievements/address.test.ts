import { describe, expect, test } from 'vitest';
import { normalizeAddress } from './address.ts';
import { PARTITIONS, partitionOf } from './partition.ts';

describe('normalizeAddress', () => {
  test('default: lower, upper and checksummed case are accepted and stored lower-case', () => {
    const lower = '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed';
    expect(normalizeAddress(lower)).toBe(lower);
    expect(normalizeAddress('0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED')).toBe(lower);
    expect(normalizeAddress('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')).toBe(lower);
  });
  test('error: a mixed-case address with a wrong checksum, bad length or non-hex is refused', () => {
    expect(normalizeAddress('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD')).toBeUndefined();
    expect(normalizeAddress('0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea')).toBeUndefined();
    expect(normalizeAddress('0xZZaeb6053f3e94c9b9a09f33669435e7ef1beaed')).toBeUndefined();
    expect(normalizeAddress(42)).toBeUndefined();
  });
});

describe('partitionOf', () => {
  test('default: stable and spread over every partition', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(partitionOf(`0x${i.toString(16).padStart(40, '0')}`));
    expect(seen.size).toBe(PARTITIONS);
    expect(partitionOf('0xabc')).toBe(partitionOf('0xabc'));
  });
});

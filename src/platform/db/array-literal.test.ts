import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabaseTarget } from '../../../test/services.ts';
import { createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { arrayLiteral } from './array-literal.ts';
import { createDb, type Db } from './create-db.ts';

let db: Db;
let target: Awaited<ReturnType<typeof testDatabaseTarget>>;

beforeAll(async () => {
  target = await testDatabaseTarget();
  db = await createDb({
    ...target,
    poolMax: 1,
    slowQueryMs: 5000,
    logger: createSilentLogger(),
    metrics: createMetrics(),
  });
});
afterAll(async () => {
  await db?.close();
  await target?.drop();
});

const roundTrip = async (values: readonly (string | null)[]) =>
  (
    await db.query<{ v: string | null }>(
      'select v from unnest($1::text[]) with ordinality as x(v, i) order by i',
      [arrayLiteral(values)],
    )
  ).rows.map((r) => r.v);

describe('arrayLiteral', () => {
  test('default: hex, addresses and decimals go in bare', () => {
    expect(arrayLiteral(['0xAbC1', '31337:0xff:2', '12', -3, 1.5, 10n])).toBe(
      '{0xAbC1,31337:0xff:2,12,-3,1.5,10}',
    );
  });

  test('behavior: every other string reads back as it was; null is SQL NULL', async () => {
    const tricky = [
      '',
      'a b',
      'a,b',
      '{x}',
      '"q"',
      'back\\slash',
      'NULL',
      'null',
      'Null',
      "it's",
      'ü ✓',
      ' lead',
      'tab\tnl\n',
      null,
    ];
    expect(await roundTrip(tricky)).toEqual(tricky);
    expect(await roundTrip([])).toEqual([]);
  });

  test('behavior: numbers into numeric and bigint arrays', async () => {
    const { rows } = await db.query<{ n: string; b: string }>(
      'select n::text as n, b::text as b from unnest($1::numeric[], $2::bigint[]) as x(n, b)',
      [arrayLiteral(['123456789012345678901234567890', 1.25]), arrayLiteral([9007199254740993n, null])],
    );
    expect(rows).toEqual([
      { n: '123456789012345678901234567890', b: '9007199254740993' },
      { n: '1.25', b: null },
    ]);
  });
});

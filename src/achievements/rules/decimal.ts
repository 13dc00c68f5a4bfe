/**
 * Exact decimal arithmetic for `sum`, so that 0.1 + 0.2 reaches a 0.3 target.
 *
 * A number is read as the decimal it prints as (`String(0.1)` is `"0.1"`: the shortest decimal that
 * round-trips), which is what the producer of the JSON meant. Sums are kept as canonical decimal
 * strings (`"-12.5"`, `"0.3"`, `"0"`: no exponent, no trailing fractional zeros), so they are plain
 * JSON and exact however many events are added. The functions form one value type and are used
 * together, so they share this file.
 */

/** A canonical decimal string. */
export type DecimalString = string;

interface Decimal {
  /** value = units / 10^scale */
  units: bigint;
  scale: number;
}

const CANONICAL = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/;

/** Whether `text` is a canonical decimal string as produced here. */
export function isDecimalString(text: unknown): text is DecimalString {
  return typeof text === 'string' && CANONICAL.test(text) && text !== '-0';
}

/** The decimal a finite number prints as. */
export function decimalOf(value: number): DecimalString {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return format(parse(String(value)));
}

/** `a + b`, exactly. */
export function addDecimals(a: DecimalString, b: DecimalString): DecimalString {
  const [x, y] = align(parse(a), parse(b));
  return format({ units: x.units + y.units, scale: x.scale });
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareDecimals(a: DecimalString, b: DecimalString): -1 | 0 | 1 {
  const [x, y] = align(parse(a), parse(b));
  return x.units < y.units ? -1 : x.units > y.units ? 1 : 0;
}

/** Parses a plain or exponent decimal (`"12.5"`, `"1e-7"`, `"1.5e+21"`). */
function parse(text: string): Decimal {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(text);
  if (match === null) throw new RangeError(`not a decimal: ${text}`);
  const [, sign = '', whole = '0', fraction = '', exponent = '0'] = match;
  let units = BigInt(`${sign}${whole}${fraction}`);
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units, scale };
}

function align(a: Decimal, b: Decimal): [Decimal, Decimal] {
  const scale = Math.max(a.scale, b.scale);
  return [
    { units: a.units * 10n ** BigInt(scale - a.scale), scale },
    { units: b.units * 10n ** BigInt(scale - b.scale), scale },
  ];
}

function format({ units, scale }: Decimal): DecimalString {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    const whole = digits.slice(0, digits.length - scale);
    const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
    digits = fraction === '' ? whole : `${whole}.${fraction}`;
  }
  return negative ? `-${digits}` : digits;
}

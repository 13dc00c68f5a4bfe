/**
 * Exact amounts. Voting power and badge weights are integers scaled by {@link SCALE} (10^6), so a
 * weight of 1.5 is `1_500_000n`; fractions (quorum, approval threshold) are parts per million.
 * On the wire both are decimal strings with at most six decimals (`"12.5"`, `"0.04"`).
 */

/** Decimals kept: weights, multipliers, powers and fractions are exact to 10^-6. */
export const DECIMALS = 6;
/** 10^6: the factor between a decimal amount and its stored integer. */
export const SCALE = 1_000_000n;

const DECIMAL = /^(\d{1,30})(?:\.(\d{1,6}))?$/;

/**
 * `"1.5"` or `1.5` → `1_500_000n`; undefined when not a non-negative decimal with at most six
 * decimals. Numbers go through their shortest decimal text, so `0.1` is exactly `100_000n`.
 */
export function parseScaled(input: unknown): bigint | undefined {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return undefined;
    text = numberText(input);
  } else if (typeof input === 'string') text = input.trim();
  else return undefined;
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  return BigInt(m[1]!) * SCALE + BigInt((m[2] ?? '').padEnd(DECIMALS, '0'));
}

/** A badge weight (a JS number from the catalogue) scaled, rounded half up to six decimals. */
export function scaleWeight(weight: number): bigint {
  if (!Number.isFinite(weight) || weight <= 0) return 0n;
  return parseScaled(weight.toFixed(DECIMALS)) ?? 0n;
}

/** `1_500_000n` → `"1.5"` (no trailing zeros, no exponent). */
export function formatScaled(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / SCALE;
  const fraction = (abs % SCALE).toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A scaled amount as a JS number of whole units (metrics only: may lose precision). */
export function scaledToNumber(value: bigint): number {
  return Number(value) / Number(SCALE);
}

/** `a × b` of two scaled amounts, scaled, rounded down. */
export function mulScaled(a: bigint, b: bigint): bigint {
  return (a * b) / SCALE;
}

/** `numerator / denominator` as a 0-1 fraction in parts per million, rounded down (0 when the denominator is 0). */
export function ratioPpm(numerator: bigint, denominator: bigint): number {
  if (denominator <= 0n) return 0;
  return Number((numerator * SCALE) / denominator);
}

function numberText(n: number): string {
  const text = String(n);
  if (!/e/i.test(text)) return text;
  // 1e-7 and the like: more decimals than we keep, refused by the pattern; big ones spelled out.
  return n >= 1 ? BigInt(Math.round(n)).toString() : n.toFixed(20).replace(/0+$/, '');
}

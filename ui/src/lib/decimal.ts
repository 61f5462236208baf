// Exact decimal arithmetic on the strings the Rust side sends ("1899.00"): amounts
// become BigInt counts of their smallest digit, never floats. Enough for the counter's
// change preview; the change that is recorded is computed by core.

/** A non-negative decimal: `units` × 10^-`scale`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

const PLAIN = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

/**
 * Parses what a cashier types: digits with an optional decimal point; spaces and
 * grouping commas ("1,000") are ignored. Null for anything else (signs, exponents,
 * two points, letters).
 */
export function parseDecimal(text: string): Decimal | null {
  const s = text.replace(/[\s,]/g, '');
  const m = PLAIN.exec(s);
  if (!m) return null;
  const whole = m[1] ?? '0';
  const frac = m[2] ?? m[3] ?? '';
  return { units: BigInt(whole + frac), scale: frac.length };
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compare(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** a − b as a plain decimal string with `scale` digits after the point (a ≥ b). */
export function subtract(a: Decimal, b: Decimal, scale = Math.max(a.scale, b.scale)): string {
  const s = Math.max(scale, a.scale, b.scale);
  const diff = rescale(a, s) - rescale(b, s);
  return toPlain({ units: diff < 0n ? -diff : diff, scale: s }, scale, diff < 0n);
}

/** "1899.5" with scale 2 → "1899.50"; extra digits beyond `scale` must be zeros. */
export function toPlain(d: Decimal, scale = d.scale, negative = false): string {
  let units = d.units;
  let s = d.scale;
  while (s > scale && units % 10n === 0n) {
    units /= 10n;
    s -= 1;
  }
  const digits = units.toString().padStart(s + 1, '0');
  const whole = digits.slice(0, digits.length - s);
  const frac = digits.slice(digits.length - s).padEnd(scale, '0');
  const text = scale > 0 || frac ? `${whole}.${frac}` : whole;
  return (negative ? '-' : '') + (text.endsWith('.') ? text.slice(0, -1) : text);
}

/** Digits after the point in a decimal string ("18.40" → 2). */
export function scaleOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** a + b, exactly, at the larger of their scales. */
export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

/** d × n for a whole number n ≥ 0 (a line's quantity). */
export function times(d: Decimal, n: number): Decimal {
  return { units: d.units * BigInt(n), scale: d.scale };
}

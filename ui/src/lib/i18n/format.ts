// Formatting through Intl for a BCP 47 tag ("en-IN", "hi-IN"). Pure: the current
// locale is applied in index.svelte.ts. Money stays a decimal string end to end:
// Intl.NumberFormat formats the string itself (exactly), nothing becomes a float.

import type { Money } from '../types';

const numberFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(tag: string, currency: string): Intl.NumberFormat {
  const key = `${tag}|${currency}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(tag, { style: 'currency', currency });
    numberFormats.set(key, f);
  }
  return f;
}

/** "₹1,899.00" (en-IN). An amount that is not a decimal string is shown as it came. */
export function formatMoney(tag: string, money: Money): string {
  if (!isDecimal(money.amount)) return `${money.amount} ${money.currency}`;
  try {
    return moneyFormat(tag, money.currency).format(money.amount as Intl.StringNumericLiteral);
  } catch {
    return `${money.amount} ${money.currency}`; // a currency code Intl does not know
  }
}

/** The parts of a formatted amount, so the currency sign can be set smaller than the digits. */
export function moneyParts(tag: string, money: Money): { symbol: string; number: string; symbolFirst: boolean } {
  const plain = { symbol: money.currency, number: money.amount, symbolFirst: false };
  if (!isDecimal(money.amount)) return plain;
  try {
    const parts = moneyFormat(tag, money.currency).formatToParts(money.amount as Intl.StringNumericLiteral);
    const at = parts.findIndex((p) => p.type === 'currency');
    const firstDigit = parts.findIndex((p) => p.type === 'integer');
    const number = parts
      .filter((p) => p.type !== 'currency' && p.type !== 'literal')
      .map((p) => p.value)
      .join('');
    return { symbol: parts[at]?.value ?? money.currency, number, symbolFirst: at < firstDigit };
  } catch {
    return plain;
  }
}

/** "11.3%" from the decimal string "11.3"; `signed` adds "+" to a rise. Exact: no float. */
export function formatPercent(tag: string, pct: string, signed = false): string {
  if (!isDecimal(pct)) return `${pct}%`;
  const f = new Intl.NumberFormat(tag, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
    signDisplay: signed ? 'exceptZero' : 'auto',
  });
  return `${f.format(pct as Intl.StringNumericLiteral)}%`;
}

/** A calendar day ("2026-03-01") as a short local date, e.g. "1 Mar". */
export function formatDay(tag: string, day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Intl.DateTimeFormat(tag, { day: 'numeric', month: 'short' }).format(d);
}

export function formatNumber(tag: string, n: number): string {
  return new Intl.NumberFormat(tag).format(n);
}

/** A stored RFC 3339 time as local date and time, e.g. "1 Mar 2026, 2:30 pm". */
export function formatDateTime(tag: string, iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** "India" for "IN" in English, "भारत" in Hindi; null when Intl has no name for it. */
export function regionName(tag: string, code: string): string | null {
  if (!/^[A-Za-z]{2}$/.test(code)) return null;
  try {
    const name = new Intl.DisplayNames([tag], { type: 'region', fallback: 'none' }).of(code.toUpperCase());
    return name ?? null;
  } catch {
    return null;
  }
}

function isDecimal(s: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(s);
}

// The message catalog and the current locale, switchable at run time. `t()` and the
// formatters read the locale from reactive state, so any template that calls them
// re-renders when the locale changes.

import type { Money } from '../types';
import { en, type MessageKey } from './en';
import * as fmt from './format';
import { hi } from './hi';

export type { MessageKey };
export type Locale = 'en' | 'hi';

/** The switch shows each language in its own script, so these are not translated. */
export const LOCALES: readonly { id: Locale; label: string; tag: string }[] = [
  { id: 'en', label: 'EN', tag: 'en-IN' },
  { id: 'hi', label: 'हिन्दी', tag: 'hi-IN' },
];

export const CATALOGS: Record<Locale, Record<MessageKey, string>> = { en, hi };

const STORAGE_KEY = 'codetill.locale';

function isLocale(v: unknown): v is Locale {
  return LOCALES.some((l) => l.id === v);
}

function savedLocale(): Locale {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    return isLocale(v) ? v : 'en';
  } catch {
    return 'en';
  }
}

let current = $state<Locale>(savedLocale());

export function locale(): Locale {
  return current;
}

/** The BCP 47 tag Intl formats with: "en-IN" or "hi-IN". */
export function localeTag(): string {
  return LOCALES.find((l) => l.id === current)?.tag ?? 'en-IN';
}

export function setLocale(next: Locale): void {
  current = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
  } catch {
    // private mode or no storage: the choice lasts for this run only
  }
  if (typeof document !== 'undefined') document.documentElement.lang = next;
}

/** The message for `key` in the current locale, with `{placeholders}` filled in. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = CATALOGS[current][key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    return typeof v === 'number' ? fmt.formatNumber(localeTag(), v) : v;
  });
}

export const formatMoney = (m: Money): string => fmt.formatMoney(localeTag(), m);
export const moneyParts = (m: Money) => fmt.moneyParts(localeTag(), m);
export const formatDateTime = (iso: string): string => fmt.formatDateTime(localeTag(), iso);
export const formatPercent = (pct: string, signed = false): string => fmt.formatPercent(localeTag(), pct, signed);
export const formatDay = (day: string): string => fmt.formatDay(localeTag(), day);

/** "India (IN)", "दुनिया भर में (GLOBAL)", or the code alone. */
export function formatRegion(code: string): string {
  if (/^(GLOBAL|WW|WORLDWIDE)$/i.test(code)) return `${t('region.global')} (${code})`;
  const name = fmt.regionName(localeTag(), code);
  return name ? `${name} (${code})` : code;
}

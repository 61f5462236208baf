import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../types';
import { en } from './en';
import { formatDateTime, formatMoney, moneyParts, regionName } from './format';
import { hi } from './hi';
import { CATALOGS, formatRegion, locale, setLocale, t, type MessageKey } from './index.svelte';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const DEVANAGARI = /[\u0900-\u097F]/;
/** Hindi messages that are rightly the same as English. */
const SAME_IN_HINDI: MessageKey[] = ['quote.sku', 'orders.filter.sku'];

describe('message catalogs', () => {
  it('English and Hindi have exactly the same keys', () => {
    expect(Object.keys(hi).sort()).toEqual(Object.keys(en).sort());
    expect(Object.keys(CATALOGS).sort()).toEqual(['en', 'hi']);
  });

  it('every message is non-empty and keeps the same placeholders in both', () => {
    for (const key of Object.keys(en) as MessageKey[]) {
      expect(en[key].trim(), key).not.toBe('');
      expect(hi[key].trim(), key).not.toBe('');
      expect(placeholders(hi[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('every Hindi message is written in Devanagari (none left in English)', () => {
    for (const key of Object.keys(hi) as MessageKey[]) {
      if (SAME_IN_HINDI.includes(key)) continue;
      expect(hi[key], key).toMatch(DEVANAGARI);
    }
  });

  it('every error code the app can send has a message', () => {
    for (const code of [...ERROR_CODES, 'errors.unknown'] as const) {
      expect(en[code]).toBeTruthy();
      expect(hi[code]).toBeTruthy();
    }
  });
});

describe('t()', () => {
  it('switches language at run time and remembers the choice', () => {
    expect(locale()).toBe('en');
    expect(t('app.screen.counter')).toBe('Counter');
    setLocale('hi');
    expect(t('app.screen.counter')).toBe('काउंटर');
    expect(localStorage.getItem('codetill.locale')).toBe('hi');
    expect(document.documentElement.lang).toBe('hi');
  });

  it('fills placeholders, formats numbers for the locale and leaves unknown ones', () => {
    expect(t('counter.results.none', { query: 'xbox' })).toBe('No products match “xbox”');
    expect(t('status.products', { count: 123456 })).toBe('Products: 1,23,456');
    expect(t('counter.results.none')).toBe('No products match “{query}”');
    setLocale('hi');
    expect(t('status.products', { count: 1200 })).toBe('उत्पाद: 1,200');
  });

  it('names regions in the current language', () => {
    expect(formatRegion('IN')).toBe('India (IN)');
    expect(formatRegion('GLOBAL')).toBe('Worldwide (GLOBAL)');
    expect(formatRegion('XYZ1')).toBe('XYZ1');
    setLocale('hi');
    expect(formatRegion('IN')).toBe('भारत (IN)');
    expect(formatRegion('GLOBAL')).toBe('दुनिया भर में (GLOBAL)');
  });
});

describe('formatting', () => {
  it('formats money with Indian grouping in both locales', () => {
    expect(formatMoney('en-IN', { amount: '1899.00', currency: 'INR' })).toBe('₹1,899.00');
    expect(formatMoney('en-IN', { amount: '100000.00', currency: 'INR' })).toBe('₹1,00,000.00');
    expect(formatMoney('hi-IN', { amount: '1899.00', currency: 'INR' })).toBe('₹1,899.00');
    expect(formatMoney('en-IN', { amount: '20.00', currency: 'USD' })).toBe('$20.00');
    expect(formatMoney('en-IN', { amount: '500', currency: 'JPY' })).toBe('JP¥500');
  });

  it('formats the decimal string exactly, never through a float', () => {
    // 0.1 + 0.2 style loss would show here: a float cannot hold these digits.
    expect(formatMoney('en-IN', { amount: '12345678901234567.89', currency: 'INR' })).toBe(
      '₹12,34,56,78,90,12,34,567.89',
    );
  });

  it('shows an amount it cannot format as it came, rather than NaN', () => {
    expect(formatMoney('en-IN', { amount: 'abc', currency: 'INR' })).toBe('abc INR');
    expect(formatMoney('en-IN', { amount: '5.00', currency: 'NOPE' })).toBe('5.00 NOPE');
  });

  it('splits the currency sign from the digits for the big price', () => {
    expect(moneyParts('en-IN', { amount: '1899.00', currency: 'INR' })).toEqual({
      symbol: '₹',
      number: '1,899.00',
      symbolFirst: true,
    });
  });

  it('formats stored times and passes through what is not a time', () => {
    expect(formatDateTime('en-IN', '2026-03-01T09:00:00.000Z')).toMatch(/2026/);
    expect(formatDateTime('en-IN', 'not a time')).toBe('not a time');
  });

  it('knows region names in English and Hindi', () => {
    expect(regionName('en-IN', 'US')).toBe('United States');
    expect(regionName('hi-IN', 'IN')).toBe('भारत');
    expect(regionName('en-IN', 'GLOBAL')).toBeNull();
  });
});

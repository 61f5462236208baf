import { describe, expect, it } from 'vitest';
import { compare, parseDecimal, scaleOf, subtract, toPlain } from './decimal';

const d = (s: string) => {
  const v = parseDecimal(s);
  if (!v) throw new Error(`not a decimal: ${s}`);
  return v;
};

describe('decimal strings', () => {
  it('parses what a cashier types, and nothing else', () => {
    expect(parseDecimal('2000')).toEqual({ units: 2000n, scale: 0 });
    expect(parseDecimal(' 1,899.5 ')).toEqual({ units: 18995n, scale: 1 });
    expect(parseDecimal('.5')).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal('20.')).toEqual({ units: 20n, scale: 0 });
    for (const bad of ['', '.', '-5', '+5', '1e3', '1.2.3', 'abc', '₹20', 'NaN', 'Infinity']) {
      expect(parseDecimal(bad), bad).toBeNull();
    }
  });

  it('compares across scales', () => {
    expect(compare(d('18.4'), d('18.40'))).toBe(0);
    expect(compare(d('18.39'), d('18.4'))).toBe(-1);
    expect(compare(d('100'), d('99.99'))).toBe(1);
  });

  it('subtracts exactly where floats would not', () => {
    expect(subtract(d('0.3'), d('0.1'), 2)).toBe('0.20'); // 0.3 - 0.1 = 0.19999… in floats
    expect(subtract(d('2000'), d('1899.00'), 2)).toBe('101.00');
    expect(subtract(d('12345678901234567.89'), d('0.01'), 2)).toBe('12345678901234567.88');
    expect(subtract(d('18.40'), d('18.4'), 2)).toBe('0.00');
    expect(subtract(d('5'), d('7'), 0)).toBe('-2');
  });

  it('writes plain strings with the wanted number of decimals', () => {
    expect(toPlain(d('5'), 2)).toBe('5.00');
    expect(toPlain(d('5.10'), 2)).toBe('5.10');
    expect(toPlain(d('7'), 0)).toBe('7');
    expect(toPlain(d('0.05'), 2)).toBe('0.05');
    expect(scaleOf('18.40')).toBe(2);
    expect(scaleOf('500')).toBe(0);
  });
});

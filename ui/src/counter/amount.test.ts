import { describe, expect, it } from 'vitest';
import { STEAM_20 } from '../test/catalog';
import type { Product } from '../lib/types';
import { checkAmount, isOpenAmount } from './amount';

const OPEN: Product = {
  ...STEAM_20,
  sku: 'AMAZON-DE-OPEN',
  open_amount: { min: { amount: '10.00', currency: 'EUR' }, max: { amount: '500.00', currency: 'EUR' } },
};

describe('the amount of an open-amount product', () => {
  it('is a decimal within the bounds, written as core takes it', () => {
    expect(isOpenAmount(OPEN)).toBe(true);
    expect(isOpenAmount(STEAM_20)).toBe(false);
    expect(checkAmount('25', OPEN)).toEqual({ ok: true, amount: '25.00' });
    expect(checkAmount(' 10 ', OPEN)).toEqual({ ok: true, amount: '10.00' });
    expect(checkAmount('500.00', OPEN)).toEqual({ ok: true, amount: '500.00' });
    expect(checkAmount('99.5', OPEN)).toEqual({ ok: true, amount: '99.50' });
  });

  it('is refused outside the bounds, with the bounds to show', () => {
    const bounds = { min: OPEN.open_amount!.min, max: OPEN.open_amount!.max };
    expect(checkAmount('9.99', OPEN)).toEqual({ ok: false, reason: 'out_of_bounds', ...bounds });
    expect(checkAmount('500.01', OPEN)).toEqual({ ok: false, reason: 'out_of_bounds', ...bounds });
    expect(checkAmount('0', OPEN)).toEqual({ ok: false, reason: 'out_of_bounds', ...bounds });
  });

  it('is refused when it is not an amount of the currency', () => {
    for (const bad of ['abc', '-5', '1e3', '25.123', '2.5.0']) {
      expect(checkAmount(bad, OPEN), bad).toMatchObject({ ok: false, reason: 'not_a_number' });
    }
    expect(checkAmount('   ', OPEN)).toMatchObject({ ok: false, reason: 'empty' });
  });
});

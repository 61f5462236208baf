import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Product } from '../lib/types';
import { STEAM_20 } from '../test/catalog';
import { deliveredOrder, mockShop, quoteFor } from '../test/shop';
import Counter from './Counter.svelte';

const OPEN: Product = {
  ...STEAM_20,
  id: 9,
  sku: 'AMAZON-DE-OPEN',
  name: 'Amazon.de Gift Card',
  brand: 'Amazon',
  region: 'DE',
  face_value: { amount: '10.00', currency: 'EUR' },
  retail: { amount: '999.00', currency: 'INR' },
  open_amount: { min: { amount: '10.00', currency: 'EUR' }, max: { amount: '500.00', currency: 'EUR' } },
};

/** The shop sells OPEN, priced at 95 INR a euro. */
function shop() {
  return mockShop({
    search_products: () => [OPEN],
    quote: (args) => {
      const face = Number(args.amount);
      return { ...quoteFor(OPEN), price: { amount: (face * 95).toFixed(2), currency: 'INR' } };
    },
    sell_cash: (args) => deliveredOrder(OPEN, String(args.tendered), '0.00'),
  });
}

const amountBox = () => screen.getByTestId('amount-input') as HTMLInputElement;

async function chooseOpen() {
  await fireEvent.input(screen.getByRole('combobox'), { target: { value: 'amazon' } });
  await waitFor(() => expect(screen.queryAllByRole('option').length).toBe(1));
  await fireEvent.keyDown(screen.getByRole('combobox'), { key: 'Enter' });
  await waitFor(() => expect(document.activeElement).toBe(amountBox()));
}

describe('an open-amount product at the counter', () => {
  it('asks for the amount, with its bounds, before any quote', async () => {
    const calls = shop();
    render(Counter, { debounceMs: 0 });
    await chooseOpen();
    expect(screen.getByTestId('amount-bounds').textContent).toContain('€10.00');
    expect(screen.getByTestId('amount-bounds').textContent).toContain('€500.00');
    expect(screen.getByLabelText('Amount in EUR')).toBe(amountBox());
    expect(calls.of('quote')).toHaveLength(0);
    expect(screen.queryByRole('region', { name: 'Payment' })).toBeNull();
  });

  it('refuses an amount outside the bounds, the bounds shown, and asks nothing', async () => {
    const calls = shop();
    render(Counter, { debounceMs: 0 });
    await chooseOpen();
    await fireEvent.input(amountBox(), { target: { value: '600' } });
    await fireEvent.submit(screen.getByTestId('amount-form'));
    const problem = await screen.findByTestId('amount-problem');
    expect(problem.textContent).toBe('This product sells only from €10.00 to €500.00.');
    expect(amountBox().getAttribute('aria-invalid')).toBe('true');
    await fireEvent.input(amountBox(), { target: { value: 'ten' } });
    await fireEvent.submit(screen.getByTestId('amount-form'));
    await waitFor(() => expect(screen.getByTestId('amount-problem').textContent).toContain('That is not an amount'));
    expect(calls.of('quote')).toHaveLength(0);
  });

  it('quotes the amount typed and sells it at that amount', async () => {
    const calls = shop();
    render(Counter, { debounceMs: 0 });
    await chooseOpen();
    await fireEvent.input(amountBox(), { target: { value: '25' } });
    await fireEvent.submit(screen.getByTestId('amount-form'));
    await waitFor(() => expect(screen.getByRole('region', { name: 'Payment' })).toBeTruthy());
    expect(calls.of('quote')).toEqual([{ cmd: 'quote', args: { sku: 'AMAZON-DE-OPEN', amount: '25.00' } }]);
    expect(screen.getByTestId('quote-price').textContent).toContain('2,375.00');
    await fireEvent.input(screen.getByLabelText('Cash received'), { target: { value: '2375' } });
    await fireEvent.click(screen.getByRole('button', { name: /issue the code/ }));
    await waitFor(() => expect(calls.of('sell_cash')).toHaveLength(1));
    expect(calls.of('sell_cash')[0]?.args).toMatchObject({ sku: 'AMAZON-DE-OPEN', amount: '25.00', tendered: '2375.00' });
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import { basketSold, mockShop } from '../test/shop';
import Counter from './Counter.svelte';

const searchBox = () => screen.getByRole('combobox') as HTMLInputElement;
const cashBox = () => screen.getByLabelText('Cash received') as HTMLInputElement;
const total = () => screen.getByTestId('basket-total').textContent?.replace(/\s/g, '');
const quantities = () => screen.getAllByTestId('line-quantity').map((q) => q.textContent);

/** Search and add the first result with Enter (a line of the basket). */
async function add(text: string) {
  await fireEvent.input(searchBox(), { target: { value: text } });
  await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
  await fireEvent.keyDown(searchBox(), { key: 'Enter' });
}

describe('the basket at the counter', () => {
  it('one product is a single sale as before; a second makes a basket with its running total', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await add('steam 20');
    await waitFor(() => expect(screen.getByRole('region', { name: 'Payment' })).toBeTruthy());
    expect(screen.queryByTestId('basket')).toBeNull();
    await add('jio');
    await waitFor(() => expect(total()).toBe('₹2,138.00'));
    expect(screen.getAllByTestId('basket-line')).toHaveLength(2);
    expect(screen.getByRole('button', { name: /issue 2 codes/ })).toBeTruthy();
  });

  it('+ and - change the selected line (1 to 10), Delete removes it, the arrows move between lines', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await add('steam 20');
    await add('jio');
    await waitFor(() => expect(total()).toBe('₹2,138.00'));
    const cash = cashBox();
    for (let i = 0; i < 12; i++) await fireEvent.keyDown(cash, { key: '+' });
    expect(quantities()).toEqual(['1×', '10×']);
    expect(total()).toBe('₹4,289.00');
    await fireEvent.keyDown(cash, { key: '-' });
    expect(quantities()).toEqual(['1×', '9×']);
    await fireEvent.keyDown(cash, { key: 'ArrowUp' });
    await fireEvent.keyDown(cash, { key: '+' });
    expect(quantities()).toEqual(['2×', '9×']);
    await fireEvent.keyDown(cash, { key: 'Delete' });
    expect(quantities()).toEqual(['9×']);
    expect(total()).toBe('₹2,151.00');
    // The same product again adds to its line.
    await add('jio');
    await waitFor(() => expect(quantities()).toEqual(['10×']));
  });

  it('Esc keeps the basket and goes back to the search; a single line closes as before', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await add('steam 20');
    await add('jio');
    await waitFor(() => expect(total()).toBe('₹2,138.00'));
    await fireEvent.keyDown(cashBox(), { key: 'Escape' });
    expect(document.activeElement).toBe(searchBox());
    await fireEvent.keyDown(searchBox(), { key: 'Escape' });
    expect(searchBox().value).toBe('');
    expect(screen.getAllByTestId('basket-line')).toHaveLength(2);
  });

  it('pays once for every line and shows each code, the change and the basket', async () => {
    const shop = mockShop();
    render(Counter, { debounceMs: 0 });
    await add('steam 20');
    await add('jio');
    await waitFor(() => expect(total()).toBe('₹2,138.00'));
    await fireEvent.input(cashBox(), { target: { value: '2200' } });
    expect(screen.getByTestId('pay-change').textContent).toBe('₹62.00');
    await fireEvent.keyDown(cashBox(), { key: 'Enter' });
    const done = await screen.findByTestId('basket-done');
    expect(shop.of('sell_basket_cash')).toEqual([
      {
        cmd: 'sell_basket_cash',
        args: { lines: [{ sku: 'STEAM-US-20', quantity: 1 }, { sku: 'JIO-IN-239', quantity: 1 }], tendered: '2200.00', email: null, language: 'en' },
      },
    ]);
    const codes = within(done).getAllByTestId('issued-code').map((c) => c.textContent);
    expect(codes).toEqual(['BSKT1-FGHJK-LMNPQ', 'BSKT2-FGHJK-LMNPQ']);
    expect(within(done).getByTestId('change').textContent).toBe('₹62.00');
    expect(within(done).getByTestId('basket-id').textContent).toBe('BSK-000007');
    expect(within(done).queryByTestId('basket-refund-due')).toBeNull();
    // Enter: the next sale, the basket gone.
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('basket-done')).toBeNull());
    expect(screen.queryByTestId('basket')).toBeNull();
  });

  it('a unit refused after payment: its refund due at once, the rest delivered (Hindi)', async () => {
    setLocale('hi');
    mockShop({
      sell_basket_cash: (args) => {
        const b = basketSold(args);
        const refused = b.lines[1]!.orders[0]!;
        Object.assign(refused, { status: 'refund_due', codes: undefined, outcome: { outcome: 'refund_due', code: 'out_of_stock', message: 'sku out of stock' } });
        return { ...b, refund_due: '239.00' };
      },
    });
    render(Counter, { debounceMs: 0 });
    await add('steam 20');
    await add('jio');
    await waitFor(() => expect(screen.getByTestId('basket-total')).toBeTruthy());
    const cash = screen.getByLabelText('मिली हुई नकद राशि');
    await fireEvent.input(cash, { target: { value: '2200' } });
    await fireEvent.keyDown(cash, { key: 'Enter' });
    const owed = await screen.findByTestId('basket-refund-due');
    expect(owed.textContent).toContain('अभी लौटाने हैं: ₹239.00');
    expect(screen.getAllByTestId('issued-code')).toHaveLength(1);
    expect(screen.getByTestId('unit-refund-due').textContent).toContain('₹239.00');
  });

  it('a scan typed into the cash field adds its product and leaves the cash as it was', async () => {
    const shop = mockShop();
    render(Counter, { debounceMs: 0 });
    await add('steam 20');
    await waitFor(() => expect(document.activeElement).toBe(cashBox()));
    const cash = cashBox();
    await fireEvent.input(cash, { target: { value: '20' } });
    let at = 1000;
    for (const ch of 'JIO-IN-239') {
      await fireEvent.keyDown(cash, { key: ch, timeStamp: at });
      cash.value += ch;
      at += 5;
    }
    await fireEvent.keyDown(cash, { key: 'Enter', timeStamp: at });
    await waitFor(() => expect(screen.getAllByTestId('basket-line')).toHaveLength(2));
    expect(shop.of('sell_cash')).toEqual([]);
    expect(shop.of('search_products').at(-1)?.args.query).toBe('JIO-IN-239');
  });
});

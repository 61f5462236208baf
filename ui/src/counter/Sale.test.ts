import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { OrderView } from '../lib/types';
import { JIO_239, STEAM_20 } from '../test/catalog';
import { deliveredOrder, mockShop } from '../test/shop';
import Counter from './Counter.svelte';

const searchBox = () => screen.getByRole('combobox') as HTMLInputElement;
const cashBox = () => screen.getByLabelText('Cash received') as HTMLInputElement;
const confirmButton = () => screen.getByRole('button', { name: /issue the code/ }) as HTMLButtonElement;

/** Search, pick the first result with Enter, wait for the live quote's payment form. */
async function pick(text: string) {
  await fireEvent.input(searchBox(), { target: { value: text } });
  await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
  await fireEvent.keyDown(searchBox(), { key: 'Enter' });
  await waitFor(() => expect(screen.getByRole('region', { name: 'Payment' })).toBeTruthy());
}

async function typeCash(amount: string) {
  await fireEvent.input(cashBox(), { target: { value: amount } });
}

describe('selling at the counter', () => {
  it('Enter on a product asks for its live quote and opens cash payment, focused', async () => {
    const shop = mockShop();
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    expect(shop.of('quote')).toEqual([{ cmd: 'quote', args: { sku: 'STEAM-US-20' } }]);
    expect(screen.getByText('Live price')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(cashBox()));
    expect(confirmButton().disabled).toBe(true);
  });

  it('shows the change as the cash is typed, exactly, and refuses a short amount', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await typeCash('2000');
    expect(screen.getByTestId('pay-change').textContent).toBe('₹101.00');
    expect(confirmButton().disabled).toBe(false);
    await typeCash('1,898.99');
    expect(screen.getByText('Short by ₹0.01: the cash received is less than the price.')).toBeTruthy();
    expect(confirmButton().disabled).toBe(true);
    await typeCash('19.999');
    expect(screen.getByText(/Type the amount received/)).toBeTruthy();
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Exact amount' }));
    expect(screen.getByTestId('pay-change').textContent).toBe('₹0.00');
  });

  it('Enter confirms once: "ordering…", then the delivery screen with the code', async () => {
    let finish: (o: OrderView) => void = () => {};
    const shop = mockShop({
      sell_cash: () => new Promise((resolve) => (finish = resolve)),
    });
    render(Counter, { debounceMs: 0, demo: true });
    await pick('steam 20');
    await typeCash('2000');
    await fireEvent.keyDown(cashBox(), { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('ordering')).toBeTruthy());
    expect(screen.getByText('Ordering the code…')).toBeTruthy();
    // A second Enter (a double press) changes nothing while the sale runs.
    await fireEvent.keyDown(window, { key: 'Enter' });
    await fireEvent.keyDown(cashBox(), { key: 'Enter' });
    expect(shop.of('sell_cash')).toEqual([
      { cmd: 'sell_cash', args: { sku: 'STEAM-US-20', tendered: '2000.00', email: null, language: 'en' } },
    ]);

    finish(deliveredOrder(STEAM_20, '2000.00', '101.00'));
    const delivery = await screen.findByTestId('delivery');
    const d = within(delivery);
    expect(d.getByTestId('issued-code').textContent).toBe('ABCDE-FGHJK-LMNPQ');
    expect(d.getByText('SN-123456789')).toBeTruthy();
    expect(d.getByText('https://store.steampowered.com/account/redeemwalletcode')).toBeTruthy();
    expect(d.getByText('Steam → Add funds → Redeem a Steam Gift Card')).toBeTruthy();
    expect(d.getByTestId('order-id').textContent).toBe('ORD-000042');
    expect(d.getByTestId('change').textContent).toBe('₹101.00');
    expect(d.getByText('DEMO CODE — not valid anywhere')).toBeTruthy();
    expect(screen.queryByTestId('ordering')).toBeNull();
  });

  it('Q shows the code as a QR code for the buyer\'s phone, asked for this sale only', async () => {
    const shop = mockShop({ sell_cash: () => deliveredOrder(STEAM_20, '1899.00', '0.00') });
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await typeCash('1899');
    await fireEvent.click(confirmButton());
    await screen.findByTestId('delivery');
    expect(screen.queryByTestId('code-qr')).toBeNull();
    await fireEvent.keyDown(window, { key: 'q' });
    const qr = await screen.findByTestId('code-qr');
    expect(qr.querySelector('svg')).toBeTruthy();
    expect(shop.of('code_qr')).toEqual([{ cmd: 'code_qr', args: { order: 'ORD-000042' } }]);
    await fireEvent.click(screen.getByTestId('show-qr'));
    await waitFor(() => expect(screen.queryByTestId('code-qr')).toBeNull());
  });

  it('the next sale forgets the code', async () => {
    mockShop({ sell_cash: () => deliveredOrder(STEAM_20, '1899.00', '0.00') });
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await typeCash('1899');
    await fireEvent.click(confirmButton());
    await screen.findByTestId('delivery');
    expect(screen.getByRole('button', { name: /Next sale/ })).toBe(document.activeElement);
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('delivery')).toBeNull());
    expect(screen.queryByText('ABCDE-FGHJK-LMNPQ')).toBeNull();
    expect(searchBox().value).toBe('');
    await waitFor(() => expect(document.activeElement).toBe(searchBox()));
  });

  it('a card sale sends the terminal reference (F4 switches to card)', async () => {
    const shop = mockShop({
      sell_card: () =>
        deliveredOrder(STEAM_20, '', '', {
          paid: { method: 'card', amount: '1899.00', tendered: null, change: null, reference: 'AUTH-77', staff: 'asha', taken_at: '' },
        }),
    });
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await fireEvent.keyDown(window, { key: 'F4' });
    const ref = screen.getByLabelText('Card terminal reference') as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(ref));
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.input(ref, { target: { value: ' AUTH-77 ' } });
    await fireEvent.keyDown(ref, { key: 'Enter' });
    const delivery = await screen.findByTestId('delivery');
    expect(shop.of('sell_card')).toEqual([
      { cmd: 'sell_card', args: { sku: 'STEAM-US-20', terminalRef: 'AUTH-77', email: null, language: 'en' } },
    ]);
    expect(within(delivery).getByText('Paid by card')).toBeTruthy();
    expect(within(delivery).getByText('AUTH-77')).toBeTruthy();
    expect(within(delivery).queryByTestId('change')).toBeNull();
  });

  it('a supplier refusal after payment reads like a terminal slip: refund due', async () => {
    mockShop({
      sell_cash: () =>
        deliveredOrder(STEAM_20, '2000.00', '101.00', {
          status: 'refund_due',
          codes: undefined,
          failure: { code: 'out_of_stock', message: 'sku out of stock' },
          outcome: { outcome: 'refund_due', code: 'out_of_stock', message: 'sku out of stock' },
        }),
    });
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await typeCash('2000');
    await fireEvent.click(confirmButton());
    const slip = await screen.findByTestId('sale-problem');
    const s = within(slip);
    expect(s.getByRole('heading').textContent).toBe('Payment taken — code not issued — refund due');
    expect(s.getByText('Give the customer back ₹1,899.00.')).toBeTruthy();
    expect(slip.textContent).toContain('the supplier ran out of stock (sku out of stock)');
    expect(s.getByTestId('order-id').textContent).toBe('ORD-000042');
    expect(slip.textContent).not.toContain('ABCDE');
  });

  it('an order still open says the code comes when the supplier answers', async () => {
    mockShop({
      sell_cash: () =>
        deliveredOrder(STEAM_20, '2000.00', '101.00', {
          status: 'unknown',
          codes: undefined,
          outcome: { outcome: 'open', reason: 'the supplier did not answer in time' },
        }),
    });
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await typeCash('2000');
    await fireEvent.click(confirmButton());
    const slip = await screen.findByTestId('sale-problem');
    expect(within(slip).getByRole('heading').textContent).toBe('Payment taken — code will be issued when the supplier answers');
    expect(slip.textContent).toContain('the supplier did not answer in time');
  });

  it('a refusal before payment keeps the sale open, says nothing was charged and re-quotes', async () => {
    const shop = mockShop({
      sell_cash: () => {
        throw { code: 'errors.short_tender', message: 'tendered 1900.00 INR is less than the price 1999.00 INR' };
      },
    });
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await typeCash('1900');
    await fireEvent.click(confirmButton());
    const alert = await screen.findByText('Not sold — nothing was charged');
    expect(alert.parentElement?.textContent).toContain('The cash received is less than the price');
    expect(shop.of('quote')).toHaveLength(2);
    expect(screen.queryByTestId('sale-problem')).toBeNull();
  });

  it('a fault after the sale was confirmed says to check Orders before charging again', async () => {
    mockShop({
      sell_cash: () => {
        throw { code: 'errors.database', message: 'database: disk I/O error' };
      },
    });
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await typeCash('2000');
    await fireEvent.click(confirmButton());
    const slip = await screen.findByTestId('sale-problem');
    expect(within(slip).getByRole('heading').textContent).toBe('Not sure the sale went through');
    expect(slip.textContent).toContain('Look for it on the Orders screen before taking payment again.');
    expect(slip.textContent).toContain('database: disk I/O error');
  });

  it('a sale paid whose result could not be shown says it is paid, never to charge again', async () => {
    mockShop({
      sell_cash: () => {
        throw {
          code: 'errors.paid_not_shown',
          message: 'ORD-000042 is paid and kept, but its result could not be shown (database: disk I/O error)',
        };
      },
    });
    render(Counter, { debounceMs: 0 });
    await pick('steam 20');
    await typeCash('2000');
    await fireEvent.click(confirmButton());
    const slip = await screen.findByTestId('sale-problem');
    expect(within(slip).getByRole('heading').textContent).toBe('Payment taken — code will be issued when the supplier answers');
    expect(slip.textContent).toContain('PAID — do not take payment again.');
    expect(slip.textContent).toContain('ORD-000042');
    expect(screen.queryByText('Not sold — nothing was charged')).toBeNull();
  });

  it('a product the supplier cannot sell now shows why, with no payment form', async () => {
    mockShop({
      quote: () => {
        throw { code: 'errors.refused.out_of_stock', message: 'sale refused, nothing charged: JIO-IN-239 is out of stock at the supplier' };
      },
    });
    render(Counter, { debounceMs: 0 });
    await fireEvent.input(searchBox(), { target: { value: 'jio' } });
    await waitFor(() => expect(screen.queryAllByRole('option')).toHaveLength(1));
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    const quote = screen.getByRole('region', { name: 'Price quote' });
    await waitFor(() => expect(within(quote).getByText('Cannot sell this now — nothing was charged')).toBeTruthy());
    expect(within(quote).getByText('Out of stock at the supplier. Nothing was charged.')).toBeTruthy();
    expect(within(quote).getByText('Out of stock')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Payment' })).toBeNull();
    expect(JIO_239.in_stock).toBe(true); // the catalog said yes; the live answer wins
  });

  it('Esc from the payment form goes back to the results', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await pick('steam');
    await waitFor(() => expect(document.activeElement).toBe(cashBox()));
    await fireEvent.keyDown(cashBox(), { key: 'Escape' });
    expect(screen.queryByRole('region', { name: 'Payment' })).toBeNull();
    expect(screen.getAllByRole('option')).toHaveLength(2);
    expect(document.activeElement).toBe(searchBox());
  });

  it('the delivery screen speaks Hindi', async () => {
    setLocale('hi');
    mockShop({ sell_cash: () => deliveredOrder(STEAM_20, '2000.00', '101.00') });
    render(Counter, { debounceMs: 0 });
    await fireEvent.input(searchBox(), { target: { value: 'steam 20' } });
    await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    const cash = await screen.findByLabelText('मिली हुई नकद राशि');
    await fireEvent.input(cash, { target: { value: '2000' } });
    await fireEvent.keyDown(cash, { key: 'Enter' });
    const delivery = await screen.findByTestId('delivery');
    expect(within(delivery).getByRole('heading', { level: 2 }).textContent).toBe('कोड जारी हुआ');
    expect(within(delivery).getByText('लौटाने वाले पैसे')).toBeTruthy();
  });
});

import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import { STEAM_20 } from '../test/catalog';
import { basketSold, claimedOrder, deliveredOrder, handover, mockShop } from '../test/shop';
import Orders from '../orders/Orders.svelte';
import ClaimSettings from '../settings/ClaimSettings.svelte';
import DrawerSetting from '../settings/DrawerSetting.svelte';
import Counter from './Counter.svelte';
import { counterKey } from './keys';

const searchBox = () => screen.getByRole('combobox') as HTMLInputElement;
const cashBox = () => screen.getByLabelText('Cash received') as HTMLInputElement;

async function sellSteam() {
  await fireEvent.input(searchBox(), { target: { value: 'steam 20' } });
  await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
  await fireEvent.keyDown(searchBox(), { key: 'Enter' });
  await waitFor(() => expect(document.activeElement).toBe(cashBox()));
  await fireEvent.input(cashBox(), { target: { value: '2000' } });
  await fireEvent.keyDown(cashBox(), { key: 'Enter' });
}

/** Types a claim number into the search box (as a scanner would) and Enter. */
async function enterNumber(text: string) {
  await fireEvent.input(searchBox(), { target: { value: text } });
  await fireEvent.keyDown(searchBox(), { key: 'Enter' });
}

describe('a sale taken as a claim', () => {
  it('shows the claim screen: number, QR, price, the refund limit and the slip; Enter starts a new sale', async () => {
    const shop = mockShop(
      {
        sell_cash: () => claimedOrder(STEAM_20, '2000.00', '101.00', { email: 'buyer@example.com' }),
        claim_terms: () => ({ enabled: true, limit: 24 }),
      },
      {
        items: [
          handover({ id: 1, kind: 'print' }),
          handover({ id: 2, kind: 'email', status: 'queued', attempts: 1, last_error: 'no mail server is set up', sent_at: null }),
        ],
      },
    );
    render(Counter, { debounceMs: 0 });
    await sellSteam();
    const slip = await screen.findByTestId('claim-slip');
    expect(slip.dataset.kind).toBe('waiting');
    expect(screen.getByTestId('claim-number').textContent).toBe('CLM-000123');
    expect(screen.getByTestId('claim-paid').textContent).toBe('₹1,899.00');
    await waitFor(() => expect(screen.getByTestId('claim-qr').innerHTML).toContain('data-claim'));
    expect(shop.of('claim_qr')[0]?.args).toEqual({ order: 'ORD-000123' });
    await waitFor(() => expect(screen.getByTestId('claim-limit').textContent).toBe('Not delivered within 24 hours: the money is given back.'));
    await waitFor(() => expect(screen.getByTestId('claim-slip-print').textContent).toBe('Slip printed ✓'));
    expect(screen.getByTestId('claim-slip-email').textContent).toBe('Slip not emailed yet to buyer@example.com — no mail server is set up');
    expect(screen.getByTestId('change').textContent).toBe('₹101.00');
    expect(screen.queryByTestId('issued-code')).toBeNull();

    // Enter lands on the focused "Next sale" button (the browser clicks it).
    const next = screen.getByRole('button', { name: /Next sale/ });
    expect(document.activeElement).toBe(next);
    await fireEvent.click(next);
    await waitFor(() => expect(screen.queryByTestId('claim-slip')).toBeNull());
    expect(shop.of('sale_done')).toHaveLength(1);
    await waitFor(() => expect(document.activeElement).toBe(searchBox()));
  });

  it('speaks Hindi, and Esc leaves it too', async () => {
    setLocale('hi');
    mockShop({ sell_cash: () => claimedOrder(STEAM_20, '2000.00', '101.00') });
    render(Counter, { debounceMs: 0 });
    await fireEvent.input(searchBox(), { target: { value: 'steam 20' } });
    await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    const cash = (await screen.findByLabelText('मिली हुई नकद राशि')) as HTMLInputElement;
    await fireEvent.input(cash, { target: { value: '2000' } });
    await fireEvent.keyDown(cash, { key: 'Enter' });
    await screen.findByTestId('claim-slip');
    expect(screen.getByText('क्लेम के रूप में लिया गया — सप्लायर के जवाब देते ही कोड मिलेगा')).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('claim-limit').textContent).toBe('48 घंटे में कोड न मिले तो पैसा लौटाया जाएगा।'));
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('claim-slip')).toBeNull());
  });
});

describe('a claim slip brought back to the counter', () => {
  it('its number, typed or scanned, opens the claim still waiting', async () => {
    const shop = mockShop({
      order: (args) => {
        if (args.id === 'CLM-000123') return claimedOrder(STEAM_20, '2000.00', '101.00', { outcome: undefined });
        throw { code: 'errors.not_found', message: `no order ${String(args.id)}` };
      },
    });
    render(Counter, { debounceMs: 0 });
    await enterNumber(' clm-000123 ');
    await screen.findByTestId('claim-slip');
    expect(shop.of('order')[0]?.args).toEqual({ id: 'CLM-000123' });
    expect(screen.getByTestId('claim-number').textContent).toBe('CLM-000123');
    expect(shop.of('quote')).toHaveLength(0);
    // The change was given at the sale, not now.
    expect(screen.queryByTestId('change')).toBeNull();
  });

  it('a delivered claim shows no code, and O opens its order on the Orders screen', async () => {
    const delivered = deliveredOrder(STEAM_20, '2000.00', '101.00', {
      order_id: 'ORD-000123',
      claim: { number: 'CLM-000123', taken_at: '2026-03-01T09:00:00.000Z' },
      delivered_at: '2026-03-01T11:00:00.000Z',
    });
    const { codes, outcome, ...view } = delivered;
    void codes;
    void outcome;
    mockShop({ order: () => view });
    const onopenorder = vi.fn();
    render(Counter, { debounceMs: 0, onopenorder });
    await enterNumber('CLM-000123');
    const slip = await screen.findByTestId('claim-slip');
    expect(slip.dataset.kind).toBe('delivered');
    expect(screen.getByText('Claim CLM-000123: delivered')).toBeTruthy();
    expect(screen.queryByTestId('issued-code')).toBeNull();
    expect(document.body.textContent).not.toContain('ABCDE-FGHJK-LMNPQ');
    await fireEvent.keyDown(window, { key: 'o' });
    expect(onopenorder).toHaveBeenCalledWith('ORD-000123');
  });

  it('a claim past its limit says the refund is due', async () => {
    mockShop({
      order: () =>
        claimedOrder(STEAM_20, '2000.00', '101.00', {
          status: 'refund_due',
          outcome: undefined,
          failure: { code: 'claim_expired', message: 'the supplier did not answer within 48 hours' },
        }),
    });
    render(Counter, { debounceMs: 0 });
    await enterNumber('CLM-000123');
    const slip = await screen.findByTestId('claim-slip');
    expect(slip.dataset.kind).toBe('refund');
    expect(screen.getByText('Claim CLM-000123: refund due ₹1,899.00')).toBeTruthy();
  });

  it('an unknown number says so in the search box and stays on the counter', async () => {
    mockShop({
      order: (args) => {
        throw { code: 'errors.not_found', message: `no order ${String(args.id)}` };
      },
    });
    render(Counter, { debounceMs: 0 });
    await enterNumber('CLM-999999');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('No claim has this number'));
    expect(screen.queryByTestId('claim-slip')).toBeNull();
  });
});

describe('a basket with a claimed unit', () => {
  it('shows its claim card beside the delivered code, and Q shows the codes as QR codes', async () => {
    const shop = mockShop({
      sell_basket_cash: (args) => {
        const b = basketSold(args);
        const unit = b.lines[0]!.orders[1]!;
        Object.assign(unit, {
          status: 'paid',
          codes: undefined,
          outcome: { outcome: 'open', reason: 'taken as claim CLM-000102' },
          claim: { number: 'CLM-000102', taken_at: '2026-03-01T09:00:00.000Z' },
        });
        return b;
      },
    });
    render(Counter, { debounceMs: 0 });
    await fireEvent.input(searchBox(), { target: { value: 'steam 20' } });
    await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    await waitFor(() => expect(document.activeElement).toBe(cashBox()));
    await fireEvent.keyDown(cashBox(), { key: '+' });
    await waitFor(() => expect(screen.getByTestId('basket-total')).toBeTruthy());
    await fireEvent.input(cashBox(), { target: { value: '4000' } });
    await fireEvent.keyDown(cashBox(), { key: 'Enter' });
    await screen.findByTestId('basket-done');
    expect(screen.getAllByTestId('issued-code')).toHaveLength(1);
    expect(screen.getByTestId('unit-claim').textContent).toContain('CLM-000102');
    await waitFor(() => expect(screen.getByTestId('claim-qr')).toBeTruthy());

    await fireEvent.keyDown(window, { key: 'q' });
    await waitFor(() => expect(screen.getAllByTestId('code-qr')).toHaveLength(1));
    expect(shop.of('code_qr').map((c) => c.args)).toEqual([{ order: 'ORD-000101' }]);
    await fireEvent.keyDown(window, { key: 'Q' });
    await waitFor(() => expect(screen.queryByTestId('code-qr')).toBeNull());
  });
});

describe('the counter keys on a claim', () => {
  it('Enter, Esc and F2 leave it for a new sale', () => {
    const s = { stage: 'claim' as const, chosen: false, quoted: false, method: 'cash' as const, inSearch: false, focused: document.body };
    for (const k of ['Enter', 'Escape', 'F2']) expect(counterKey(new KeyboardEvent('keydown', { key: k }), s)).toBe('next-sale');
  });
});

describe('the owner’s claim and drawer settings', () => {
  it('shows the terms, saves them, and refuses a limit outside 1 to 744 hours before asking core', async () => {
    const shop = mockShop({
      claim_terms: () => ({ enabled: false, limit: 48 }),
      set_claims: (args) => ({ enabled: args.enabled, limit: args.limitHours }),
    });
    render(ClaimSettings);
    const limit = (await screen.findByTestId('claims-limit')) as HTMLInputElement;
    await waitFor(() => expect(limit.value).toBe('48'));
    await fireEvent.click(screen.getByTestId('claims-enabled'));
    await fireEvent.input(limit, { target: { value: '745' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save claim settings' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('745'));
    expect(shop.of('set_claims')).toHaveLength(0);
    await fireEvent.input(limit, { target: { value: '72' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save claim settings' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBeTruthy());
    expect(shop.of('set_claims')[0]?.args).toEqual({ enabled: true, limitHours: 72 });
  });

  it('shows core’s refusal clearly', async () => {
    mockShop({
      set_claims: () => {
        throw { code: 'errors.not_allowed', message: 'a cashier may not change the settings' };
      },
    });
    render(ClaimSettings);
    await waitFor(() => expect((screen.getByTestId('claims-limit') as HTMLInputElement).value).toBe('48'));
    await fireEvent.click(screen.getByRole('button', { name: 'Save claim settings' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('a cashier may not change the settings'));
  });

  it('turns the cash drawer on', async () => {
    const shop = mockShop({ set_drawer: (args) => args.enabled });
    render(DrawerSetting);
    const box = (await screen.findByTestId('drawer-enabled')) as HTMLInputElement;
    await waitFor(() => expect(shop.of('has_drawer')).toHaveLength(1));
    expect(box.checked).toBe(false);
    await fireEvent.click(box);
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(shop.of('set_drawer')[0]?.args).toEqual({ enabled: true }));
    await waitFor(() => expect(screen.getByRole('status')).toBeTruthy());
  });
});

describe('the waiting claims on the Orders screen', () => {
  it('lists each claim (number, order, product, price, since) and opens the order asked for', async () => {
    const waiting = claimedOrder(STEAM_20, '2000.00', '101.00', { outcome: undefined });
    const shop = mockShop({
      list_orders: () => [waiting],
      open_orders: () => [waiting],
      open_claims: () => [waiting],
      order: () => waiting,
    });
    render(Orders, { show: 'CLM-000123' });
    const list = await screen.findByTestId('waiting-claims');
    expect(list.textContent).toContain('Waiting claims: 1');
    expect(list.textContent).toContain('CLM-000123');
    expect(list.textContent).toContain('ORD-000123');
    expect(list.textContent).toContain('Steam Wallet $20');
    expect(list.textContent).toContain('₹1,899.00');
    await waitFor(() => expect(screen.getByTestId('order-detail').textContent).toContain('ORD-000123'));
    expect(shop.of('order')[0]?.args).toEqual({ id: 'CLM-000123' });
  });
});

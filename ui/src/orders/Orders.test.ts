import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OrderView } from '../lib/types';
import { JIO_239, STEAM_20 } from '../test/catalog';
import { deliveredOrder, mockShop } from '../test/shop';
import Orders from './Orders.svelte';
import { signedIn } from '../session/session.svelte';

// A manager: may show codes again and record refunds (a cashier's test says otherwise).
beforeEach(() => signedIn({ name: 'Ravi', role: 'manager' }));

/** An order as a list sends it: never with codes. */
function listed(o: OrderView): OrderView {
  const { codes: _codes, outcome: _outcome, ...rest } = o;
  return rest;
}

const DELIVERED = listed(deliveredOrder(STEAM_20, '2000.00', '101.00'));
const DUE = listed(
  deliveredOrder(JIO_239, '500.00', '261.00', {
    order_id: 'ORD-000043',
    status: 'refund_due',
    failure: { code: 'out_of_stock', message: 'sku out of stock' },
  }),
);
const OPEN = listed(
  deliveredOrder(JIO_239, '239.00', '0.00', { order_id: 'ORD-000044', status: 'unknown', attempts: 3, delivered_at: null }),
);

const table = () => screen.getByRole('table', { name: 'Order history' });

describe('the orders screen', () => {
  it('lists orders without codes and filters by status, date and sku', async () => {
    const shop = mockShop({
      list_orders: () => [DELIVERED, DUE],
      open_orders: () => [],
    });
    render(Orders);
    await waitFor(() => expect(within(table()).getByText('ORD-000042')).toBeTruthy());
    expect(within(table()).getByText('Refund due')).toBeTruthy();
    expect(document.body.textContent).not.toContain('ABCDE');
    expect(shop.of('list_orders')[0]?.args).toEqual({ query: { status: null, since: null, sku: null, limit: 200 } });

    await fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'refund_due' } });
    await waitFor(() => expect(shop.of('list_orders')).toHaveLength(2));
    expect(shop.of('list_orders')[1]?.args).toMatchObject({ query: { status: 'refund_due' } });

    await fireEvent.input(screen.getByLabelText('From date'), { target: { value: '2026-03-01' } });
    await fireEvent.change(screen.getByLabelText('From date'), { target: { value: '2026-03-01' } });
    await waitFor(() => expect(shop.of('list_orders').length).toBeGreaterThanOrEqual(3));
    const since = (shop.of('list_orders').at(-1)?.args.query as { since: string }).since;
    expect(new Date(since).getDate()).toBe(1); // local midnight of the chosen day
    expect(new Date(since).getHours()).toBe(0);

    await fireEvent.input(screen.getByLabelText('SKU'), { target: { value: ' steam-us-20 ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() =>
      expect(shop.of('list_orders').at(-1)?.args).toMatchObject({ query: { sku: 'steam-us-20' } }),
    );
  });

  it('shows a delivered code again only with a reason', async () => {
    const shop = mockShop({
      list_orders: () => [DELIVERED],
      open_orders: () => [],
      reveal_code: () => deliveredOrder(STEAM_20, '2000.00', '101.00', { outcome: undefined }),
    });
    render(Orders);
    await fireEvent.click(await screen.findByRole('button', { name: 'ORD-000042' }));
    const detail = screen.getByTestId('order-detail');
    const show = within(detail).getByRole('button', { name: 'Show code' }) as HTMLButtonElement;
    expect(show.disabled).toBe(true);
    expect(within(detail).queryByTestId('revealed-code')).toBeNull();
    await fireEvent.input(within(detail).getByLabelText('Reason (kept in the audit log)'), {
      target: { value: 'customer lost the slip' },
    });
    await fireEvent.click(show);
    await waitFor(() => expect(within(detail).getByTestId('revealed-code').textContent).toBe('ABCDE-FGHJK-LMNPQ'));
    expect(shop.of('reveal_code')).toEqual([{ cmd: 'reveal_code', args: { id: 'ORD-000042', reason: 'customer lost the slip' } }]);
  });

  it('offers a cashier neither the reveal nor the refund: a manager is asked for', async () => {
    signedIn({ name: 'Asha', role: 'cashier' });
    const shop = mockShop({ list_orders: () => [DELIVERED, DUE], open_orders: () => [] });
    render(Orders);
    await fireEvent.click(await screen.findByRole('button', { name: 'ORD-000042' }));
    const detail = screen.getByTestId('order-detail');
    expect(within(detail).queryByRole('button', { name: 'Show code' })).toBeNull();
    expect(within(detail).getByTestId('ask-manager').textContent).toContain('A manager or the owner');
    expect(shop.of('reveal_code')).toHaveLength(0);
  });

  it('records the refund of an order that is due one', async () => {
    let refunded = false;
    const shop = mockShop({
      list_orders: () => [refunded ? { ...DUE, status: 'refunded' } : DUE],
      open_orders: () => [],
      record_refund: () => {
        refunded = true;
        return {
          ...DUE,
          status: 'refunded',
          refund: { amount: '239.00', method: 'card', reference: 'RR-9', staff: 'asha', at: '2026-03-01T10:00:00.000Z' },
        };
      },
    });
    render(Orders);
    await fireEvent.click(await screen.findByRole('button', { name: 'ORD-000043' }));
    const detail = screen.getByTestId('order-detail');
    expect(within(detail).getByText('Refund due: ₹239.00')).toBeTruthy();
    expect(detail.textContent).toContain('sku out of stock');
    await fireEvent.click(within(detail).getByLabelText('Card'));
    await fireEvent.input(within(detail).getByLabelText('Reference (optional)'), { target: { value: 'RR-9' } });
    await fireEvent.click(within(detail).getByRole('button', { name: 'Refund given back' }));
    await waitFor(() => expect(within(screen.getByTestId('order-detail')).getByText('Refunded')).toBeTruthy());
    expect(shop.of('record_refund')).toEqual([
      { cmd: 'record_refund', args: { id: 'ORD-000043', method: 'card', reference: 'RR-9' } },
    ]);
    expect(screen.getByTestId('order-detail').textContent).toContain('₹239.00 given back by Card');
  });

  it('lists orders paid but not issued and asks the supplier again', async () => {
    let open = [OPEN];
    const shop = mockShop({
      list_orders: () => [OPEN],
      open_orders: () => open,
      finish_open_orders: () => {
        open = [];
        return { examined: 1, delivered: ['ORD-000044'], refund_due: [], open: [], busy: [], cancelled_quotes: 0 };
      },
    });
    render(Orders);
    const section = await screen.findByRole('region', { name: 'Paid, code not yet issued: 1' });
    expect(section.textContent).toContain('Supplier asked 3 times');
    await fireEvent.click(within(section).getByRole('button', { name: 'Ask the supplier again' }));
    await waitFor(() => expect(shop.of('finish_open_orders')).toHaveLength(1));
    await waitFor(() => expect(screen.queryByRole('region', { name: /Paid, code not yet issued/ })).toBeNull());
  });
});

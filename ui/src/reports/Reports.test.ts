import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { GroupBy, SalesReport, SalesRow } from '../lib/types';
import { mockShop } from '../test/shop';
import { period } from './period';
import Reports from './Reports.svelte';

const inr = (amount: string) => ({ amount, currency: 'INR' });
const row = (key: string, sales: string, cost: string, extra: Partial<SalesRow> = {}): SalesRow => ({
  key, currency: 'INR', orders: 2, codes: 2, sales: inr(sales), cost: inr(cost),
  margin: inr((Number(sales) - Number(cost)).toFixed(2)), margin_pct: ((1 - Number(cost) / Number(sales)) * 100).toFixed(2), ...extra,
});

function answer(from: string, to: string, by: GroupBy): SalesReport {
  const rows: Record<GroupBy, SalesRow[]> = {
    day: [row('2026-03-01', '1899.00', '1700.00'), row('2026-03-02', '4699.00', '4300.00'), row('2026-03-03', '239.00', '232.00')],
    week: [row('2026-02-23', '6837.00', '6232.00')],
    month: [row('2026-03', '6837.00', '6232.00')],
    product: [row('STEAM-US-50', '4699.00', '4300.00', { name: 'Steam Wallet $50' }), row('STEAM-US-20', '1899.00', '1700.00', { name: 'Steam Wallet $20' })],
    category: [row('gift_card', '6598.00', '6000.00'), row('mobile_topup', '239.00', '232.00')],
    supplier: [row('sandbox', '6837.00', '6232.00')],
    staff: [row('Asha', '6837.00', '6232.00')],
    payment: [row('cash', '6837.00', '6232.00')],
    till: [row('front', '6598.00', '6000.00'), row('unnamed', '239.00', '232.00')],
  };
  return { from, to, by, rows: rows[by], totals: [row('total', '6837.00', '6232.00', { orders: 6, codes: 6 })] };
}

function shop(tills: string[] = []) {
  return mockShop({
    report_tills: () => tills,
    sales_report: (a) => answer(String(a.from), String(a.to), a.by as GroupBy),
    export_sales_csv: (a) => ({ path: `/shop/exports/sales-by-${String(a.by)}-${String(a.from)}-${String(a.to)}.csv`, rows: 3 }),
    audit_log: () => [
      { id: 2, at: '2026-03-14T10:00:00Z', actor: 'Asha', action: 'refused', order_id: null, detail: 'reveal: a cashier may not show a code again', prev_hash: 'a', hash: 'b' },
      { id: 1, at: '2026-03-14T09:00:00Z', actor: 'first run', action: 'staff', order_id: null, detail: 'added Meera as owner', prev_hash: '0', hash: 'a' },
    ],
    verify_audit: () => ({ rows: 2, head_id: 2, head_hash: 'b', broken: { id: 2, why: 'row 2 does not hash to what it carries' } }),
  });
}

describe('the reports screen', () => {
  it('opens on this month by day: a chart over time, the top products, the table with its total', async () => {
    const mock = shop();
    render(Reports);
    const chart = await screen.findByTestId('sales-chart');
    const [from, to] = period('month');
    expect(mock.of('sales_report').map((c) => c.args)).toEqual([{ from, to, by: 'day' }, { from, to, by: 'product' }]);
    // A bar of sales and one of margin per day.
    expect(chart.querySelectorAll('rect.sales')).toHaveLength(3);
    expect(chart.querySelectorAll('rect.margin')).toHaveLength(3);
    expect(within(screen.getByTestId('top-products')).getByText('Steam Wallet $50')).toBeTruthy();
    const table = screen.getByTestId('report-table');
    expect(table.querySelectorAll('tbody tr')).toHaveLength(3);
    expect(within(table).getByText('Total')).toBeTruthy();
    expect(table.textContent).toContain('6,837.00');
    expect(table.textContent).toContain('605.00');
  });

  it('groups by category with names read out, ranked as bars, and exports that table as CSV', async () => {
    const mock = shop();
    render(Reports);
    await screen.findByTestId('sales-chart');
    await fireEvent.click(screen.getByTestId('by-category'));
    await waitFor(() => expect(screen.getByTestId('report-table').textContent).toContain('Gift card'));
    expect(screen.queryByTestId('top-products')).toBeNull();
    expect(within(screen.getByTestId('sales-chart')).getByText('Mobile top-up')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('export-csv'));
    const [from, to] = period('month');
    expect((await screen.findByTestId('exported')).textContent).toContain(`/shop/exports/sales-by-category-${from}-${to}.csv`);
    expect(mock.of('export_sales_csv')[0]?.args).toEqual({ from, to, by: 'category' });
  });

  it('quick picks set the period; the audit view says where the chain breaks', async () => {
    const mock = shop();
    render(Reports);
    await screen.findByTestId('sales-chart');
    await fireEvent.click(screen.getByRole('button', { name: 'Today' }));
    const [today] = period('today');
    await waitFor(() => expect(mock.of('sales_report').at(-2)?.args).toEqual({ from: today, to: today, by: 'day' }));
    expect((screen.getByTestId('report-from') as HTMLInputElement).value).toBe(today);

    expect((await screen.findByTestId('audit-rows')).textContent).toContain('added Meera as owner');
    await fireEvent.click(screen.getByTestId('verify-audit'));
    expect((await screen.findByTestId('audit-verdict')).textContent).toContain('breaks at row 2');
  });

  it('narrows the report to one till when the shop has several, and groups by till', async () => {
    const mock = shop(['back', 'front']);
    render(Reports);
    await screen.findByTestId('sales-chart');
    const choice = (await screen.findByTestId('report-till')) as HTMLSelectElement;
    expect([...choice.options].map((o) => o.textContent)).toEqual(['All tills', 'back', 'front']);
    choice.value = 'front';
    await fireEvent.change(choice);
    const [from, to] = period('month');
    await waitFor(() =>
      expect(mock.of('sales_report').slice(-2).map((c) => c.args)).toEqual([
        { from, to, by: 'day', till: 'front' },
        { from, to, by: 'product', till: 'front' },
      ]),
    );
    await fireEvent.click(screen.getByTestId('by-till'));
    await waitFor(() => expect(screen.getByTestId('report-table').textContent).toContain('Unnamed till'));
    await fireEvent.click(screen.getByTestId('export-csv'));
    await screen.findByTestId('exported');
    expect(mock.of('export_sales_csv')[0]?.args).toEqual({ from, to, by: 'till', till: 'front' });
  });

  it('leaves the till choice out for a shop with one till', async () => {
    shop([]);
    render(Reports);
    await screen.findByTestId('sales-chart');
    expect(screen.queryByTestId('report-till')).toBeNull();
  });
});

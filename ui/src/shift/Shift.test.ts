import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ShiftReport, ShiftStatus } from '../lib/types';
import { mockShop } from '../test/shop';
import ShiftScreen from './Shift.svelte';

const inr = (amount: string) => ({ amount, currency: 'INR' });

function report(kind: 'x' | 'z', counted: string | null, overShort: string | null): ShiftReport {
  return {
    kind, z_number: kind === 'z' ? 7 : null, till_id: 'till-1', currency: 'INR', opened_by: 'Asha',
    opened_at: '2026-03-14T03:30:00Z', closed_by: kind === 'z' ? 'Asha' : null, closed_at: kind === 'z' ? '2026-03-14T12:30:00Z' : null,
    at: '2026-03-14T12:30:00Z', sales: [{ method: 'cash', count: 2, amount: inr('2138.00') }], sales_count: 2, sales_total: inr('2138.00'),
    refunds: [], refunds_count: 0, refunds_total: inr('0.00'), net: inr('2138.00'), codes_issued: 2, cost: inr('1900.00'),
    margin: inr('238.00'), margin_pct: '11.13',
    cash: { float: inr('500.00'), cash_sales: inr('2138.00'), cash_refunds: inr('0.00'), cash_in: inr('0.00'), cash_out: inr('200.00'),
      expected: inr('2438.00'), counted: counted ? inr(counted) : null, over_short: overShort ? inr(overShort) : null },
    cash_moves: [{ kind: 'out', amount: inr('200.00'), reason: 'banked', staff: 'Asha', at: '2026-03-14T09:00:00Z' }],
  };
}

function shop(open: boolean) {
  const status: ShiftStatus = open
    ? { open: { id: 3, till_id: 'till-1', float: inr('500.00'), opened_by: 'Asha', opened_at: '2026-03-14T03:30:00Z', z_number: null, closed_by: null, closed_at: null, counted: null }, x: report('x', null, null) }
    : { open: null, x: null };
  return mockShop({
    shift_status: () => structuredClone(status),
    open_shift: (a) => {
      if (!/^\d+(\.\d+)?$/.test(String(a.float))) throw { code: 'errors.validation', message: `float: "${String(a.float)}" is not an amount` };
      status.open = { id: 4, till_id: 'till-1', float: inr(String(a.float)), opened_by: 'Asha', opened_at: '2026-03-14T03:30:00Z', z_number: null, closed_by: null, closed_at: null, counted: null };
      status.x = report('x', null, null);
      return status.open;
    },
    move_cash: (a) => ({ kind: a.kind, amount: inr(String(a.amount)), reason: a.reason, staff: 'Asha', at: '2026-03-14T10:00:00Z' }),
    close_shift: (a) => {
      status.open = null;
      status.x = null;
      return { report: report('z', String(a.counted), '-38.00'), text: `Z-REPORT #7\nCounted ${String(a.counted)}\nShort -38.00`,
        printed: 'sent to tcp://192.168.1.50:9100', print_error: null, pdf: '/shop/reports/z-report-000007-en.pdf' };
    },
  });
}

describe('the shift screen', () => {
  it('opens a shift with the float, refusing a float that is not an amount', async () => {
    const mock = shop(false);
    render(ShiftScreen);
    const float = await screen.findByTestId('float');
    await fireEvent.input(float, { target: { value: 'lots' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Open the shift' }));
    expect((await screen.findByRole('alert')).textContent).toContain('is not an amount');
    await fireEvent.input(float, { target: { value: '500' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Open the shift' }));
    await screen.findByTestId('expected');
    expect(mock.of('open_shift').map((c) => c.args.float)).toEqual(['lots', '500']);
  });

  it('records cash out with its reason', async () => {
    const mock = shop(true);
    render(ShiftScreen);
    await screen.findByTestId('expected');
    await fireEvent.click(screen.getByRole('radio', { name: 'Cash out' }));
    await fireEvent.input(screen.getByTestId('move-amount'), { target: { value: '200' } });
    await fireEvent.input(screen.getByTestId('move-reason'), { target: { value: 'banked' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Record cash out' }));
    await waitFor(() => expect(mock.of('move_cash')).toHaveLength(1));
    expect(mock.of('move_cash')[0]?.args).toEqual({ kind: 'out', amount: '200', reason: 'banked' });
  });

  it('closes with the cash counted and shows the Z-report: short, printed and kept as a PDF', async () => {
    const mock = shop(true);
    render(ShiftScreen);
    expect((await screen.findByTestId('expected')).textContent).toContain('2,438.00');
    await fireEvent.input(screen.getByTestId('counted'), { target: { value: '2400' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Close and print the Z-report' }));
    const z = await screen.findByTestId('z-report');
    expect(z.textContent).toContain('Z-report #7');
    expect(screen.getByTestId('over-short').textContent).toContain('Short');
    expect(screen.getByTestId('over-short').textContent).toContain('38.00');
    expect(screen.getByTestId('report-text').textContent).toContain('Z-REPORT #7');
    expect(z.textContent).toContain('/shop/reports/z-report-000007-en.pdf');
    expect(mock.of('close_shift')[0]?.args).toEqual({ counted: '2400', language: 'en' });
    // The shift is closed: the screen offers to open the next one.
    await screen.findByTestId('float');
  });
});

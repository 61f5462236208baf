import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Topup } from '../lib/types';
import { mockShop } from '../test/shop';
import Topups from './Topups.svelte';

function shop() {
  const topups: Topup[] = [
    { id: 1, supplier: null, amount: { amount: '1000.00', currency: 'USD' }, at: '2026-11-20T10:00:00.000Z', reference: 'NEFT-1', staff: 'Meera', recorded_at: '2026-11-20T10:01:00.000Z' },
  ];
  const mock = mockShop({
    supplier_topups: () => structuredClone(topups),
    record_topup: (a) => {
      if (!/^\d+(\.\d+)?$/.test(String(a.amount))) throw { code: 'errors.validation', message: `AMOUNT: "${a.amount}" is not an amount` };
      const made: Topup = { id: topups.length + 1, supplier: null, amount: { amount: String(a.amount), currency: String(a.currency) }, at: `${a.date}T00:00:00.000Z`, reference: String(a.reference) || null, staff: 'Meera', recorded_at: '2026-12-04T10:00:00.000Z' };
      topups.unshift(made);
      return made;
    },
  });
  return { mock };
}

describe('supplier top-ups', () => {
  it('lists what was recorded and records a new one in the account currency', async () => {
    const { mock } = shop();
    render(Topups, { currency: 'USD' });
    const list = await screen.findByTestId('topup-list');
    expect(within(list).getByText('NEFT-1')).toBeTruthy();
    expect((screen.getByTestId('topup-currency') as HTMLInputElement).value).toBe('USD');

    await fireEvent.input(screen.getByTestId('topup-amount'), { target: { value: '500' } });
    await fireEvent.input(screen.getByTestId('topup-reference'), { target: { value: 'NEFT-2' } });
    await fireEvent.submit(screen.getByTestId('topup-amount').closest('form') as HTMLFormElement);
    await waitFor(() => expect(within(screen.getByTestId('topup-list')).getByText('NEFT-2')).toBeTruthy());
    expect(mock.of('record_topup')[0]?.args).toMatchObject({ amount: '500', currency: 'USD', reference: 'NEFT-2' });
    expect((screen.getByTestId('topup-amount') as HTMLInputElement).value).toBe('');
  });

  it('shows what core refused and records nothing', async () => {
    shop();
    render(Topups, { currency: 'USD' });
    await screen.findByTestId('topup-list');
    await fireEvent.input(screen.getByTestId('topup-amount'), { target: { value: '5,00x' } });
    await fireEvent.submit(screen.getByTestId('topup-amount').closest('form') as HTMLFormElement);
    expect((await screen.findByRole('alert')).textContent).toContain('AMOUNT');
    expect(within(screen.getByTestId('topup-list')).getAllByRole('row')).toHaveLength(1);
  });
});

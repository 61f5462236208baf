import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Alert, BalanceView } from '../lib/types';
import { mockShop } from '../test/shop';
import { setLocale } from '../lib/i18n/index.svelte';
import Balance from './Balance.svelte';
import { signedIn } from '../session/session.svelte';

beforeEach(() => signedIn({ name: 'Meera', role: 'owner' }));

const usd = (amount: string) => ({ amount, currency: 'USD' });

function days(n: number): BalanceView['spend'] {
  return Array.from({ length: n }, (_, i) => ({
    day: `2026-03-${String(i + 1).padStart(2, '0')}`,
    spent: usd(i % 3 === 0 ? '0.00' : `${i * 10}.00`),
  }));
}

const VIEW: BalanceView = {
  available: usd('1250.40'),
  updated_at: '2026-03-14T09:00:00.000Z',
  avg_daily_spend: usd('98.57'),
  runway_days: 12,
  threshold: null,
  spend: days(14),
  supplier_error: null,
};

const LOW: Alert = {
  id: 3,
  kind: 'balance_low',
  message: 'The supplier balance 150.00 USD is below two days of spend (98.57 USD/day, 7-day average).',
  facts: { below: 'spend', spend: '98.57', balance: '150.00', currency: 'USD' },
  order_ref: null,
  created_at: '2026-03-14T08:00:00.000Z',
  state: 'open',
};
const REFUND: Alert = {
  id: 2,
  kind: 'refund_due',
  message: 'ORD-000043 Jio: the supplier refused after payment.',
  facts: null,
  order_ref: 'ORD-000043',
  created_at: '2026-03-13T08:00:00.000Z',
  state: 'acknowledged',
};

describe('the balance and alerts screen', () => {
  it('shows balance, spend per day and runway, and acknowledges an alert', async () => {
    let open = [LOW];
    const calls = mockShop({
      balance_overview: () => VIEW,
      alerts: (args) => (args.openOnly ? open : [...open, REFUND]),
      acknowledge_alert: () => {
        open = [];
        return { ...LOW, state: 'acknowledged' };
      },
    });
    let changed = 0;
    render(Balance, { onalerts: () => changed++ });
    await waitFor(() => expect(screen.getByTestId('balance-available').textContent).toBe('$1,250.40'));
    expect(screen.getByTestId('runway').textContent).toContain('12 days');
    expect(document.body.textContent).toContain('$98.57');
    expect(calls.of('balance_overview')[0]?.args).toMatchObject({ days: 14 });
    expect(typeof calls.of('balance_overview')[0]?.args.utcOffsetMinutes).toBe('number');
    const chart = screen.getByRole('img', { name: 'Supplier spend per day, last 14 days' });
    expect(chart.querySelectorAll('rect')).toHaveLength(9); // five quiet days draw no bar
    expect(chart.querySelectorAll('title')[13]?.textContent).toBe('14 Mar: $130.00');

    const list = await screen.findByTestId('alert-list');
    expect(within(list).getByText('Balance low')).toBeTruthy();
    expect(list.textContent).toContain(
      'The supplier balance $150.00 is below two days of spend ($98.57 a day, 7-day average). Top up the supplier account.',
    );
    await fireEvent.click(within(list).getByRole('button', { name: /Acknowledge/ }));
    await screen.findByText('No open alerts.');
    expect(calls.of('acknowledge_alert')[0]?.args).toEqual({ id: 3 });
    expect(changed).toBe(1);

    await fireEvent.click(screen.getByLabelText('Show acknowledged too'));
    const all = await screen.findByTestId('alert-list');
    expect(within(all).getByText('Refund due')).toBeTruthy();
    expect(within(all).getByText('Acknowledged')).toBeTruthy();
    // Stored without facts (an older till): its English message as it was.
    expect(within(all).getByText('ORD-000043 Jio: the supplier refused after payment.')).toBeTruthy();
  });

  it('says the balance is unknown while the supplier does not answer', async () => {
    mockShop({
      balance_overview: () => ({
        ...VIEW,
        available: null,
        updated_at: null,
        avg_daily_spend: null,
        runway_days: null,
        spend: days(14).map((d) => ({ ...d, spent: usd('0.00') })),
        supplier_error: 'the supplier did not process the request: 503',
      }),
      alerts: () => [{ ...LOW, id: 9, kind: 'supplier_unreachable', message: 'The supplier cannot be reached: 503.' }],
    });
    render(Balance);
    await screen.findByText('The supplier did not answer; the balance is unknown.');
    expect(document.body.textContent).toContain('503');
    expect(screen.getByText('Unknown: no spend in the last 7 days')).toBeTruthy();
    expect(screen.getByText('No spend in this period.')).toBeTruthy();
    expect(await screen.findByText('Supplier unreachable')).toBeTruthy();
  });

  it('saves the low-balance threshold, and refuses one that is not an amount', async () => {
    const calls = mockShop({
      balance_overview: () => VIEW,
      alerts: () => [],
      set_balance_threshold: (args) => {
        if (args.amount === 'lots') throw { code: 'errors.validation', message: 'threshold "lots" is not an amount' };
        return null;
      },
    });
    render(Balance);
    const input = await screen.findByLabelText('Alert me below (USD)');
    await fireEvent.input(input, { target: { value: 'lots' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save threshold' }));
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    await fireEvent.input(input, { target: { value: '500' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save threshold' }));
    await screen.findByText('Threshold saved.');
    expect(calls.of('set_balance_threshold').map((c) => c.args)).toEqual([{ amount: 'lots' }, { amount: '500' }]);
  });

  it('speaks Hindi with Indian number formatting', async () => {
    setLocale('hi');
    mockShop({ balance_overview: () => VIEW, alerts: () => [LOW] });
    render(Balance);
    await screen.findByText('सप्लायर बैलेंस');
    await waitFor(() => expect(screen.getByTestId('runway').textContent).toContain('12 दिन'));
    expect(await screen.findByText('बैलेंस कम')).toBeTruthy();
    expect(screen.getByTestId('alert-list').textContent).toContain(
      'सप्लायर बैलेंस दो दिन के ख़र्च से कम है: $150.00 ($98.57 प्रति दिन, 7 दिन का औसत)।',
    );
    expect(screen.getByRole('button', { name: /देख लिया/ })).toBeTruthy();
  });
});

import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { RatesView } from '../lib/types';
import { mockShop } from '../test/shop';
import DailySync from './DailySync.svelte';
import RatesCard from './RatesCard.svelte';
import { hourLabel, rateAge } from './rates';

const RATES: RatesView = {
  shop_currency: 'INR',
  source_url: 'https://rates.example/eurofxref-daily.xml',
  rates: [
    { from: 'USD', to: 'INR', rate: '83.2500', source: 'ecb', as_of: '2026-03-14', age_days: 0, stale: false },
    { from: 'EUR', to: 'INR', rate: '90.10', source: 'owner', as_of: '2026-03-01', age_days: 13, stale: true },
  ],
};

describe('the currency and rates card', () => {
  it('shows the shop currency and each rate with its source and age, a stale one marked', async () => {
    mockShop({ exchange_rates: () => RATES });
    render(RatesCard);
    await waitFor(() => expect(screen.getAllByTestId('rate-row')).toHaveLength(2));
    expect((screen.getByTestId('shop-currency') as HTMLInputElement).value).toBe('INR');
    const [usd, eur] = screen.getAllByTestId('rate-row') as [HTMLElement, HTMLElement];
    expect(usd.textContent).toContain('1 USD → INR');
    expect(usd.textContent).toContain('83.2500');
    expect(usd.textContent).toContain('Daily file');
    expect(usd.textContent).toContain('today (2026-03-14)');
    expect(usd.textContent).not.toContain('Stale');
    expect(eur.textContent).toContain('Set by hand');
    expect(eur.textContent).toContain('13 days old');
    expect(eur.textContent).toContain('Stale');
    expect(screen.getByText(/The shop sells in INR/)).toBeTruthy();
  });

  it('sets the shop currency, or shows why core refused it', async () => {
    const shop = mockShop({
      exchange_rates: () => ({ shop_currency: null, source_url: null, rates: [] }),
      set_shop_currency: (args) => {
        if (args.currency === 'EUR') throw { code: 'errors.validation', message: 'no EUR rate for USD products: set one with codetill fx set' };
        return { ...RATES, shop_currency: args.currency };
      },
    });
    render(RatesCard);
    await waitFor(() => expect(screen.getByText(/No shop currency/)).toBeTruthy());
    await fireEvent.input(screen.getByTestId('shop-currency'), { target: { value: 'eur' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Set and reprice' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('no EUR rate'));
    await fireEvent.input(screen.getByTestId('shop-currency'), { target: { value: 'inr' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Set and reprice' }));
    await waitFor(() => expect(screen.getAllByTestId('rate-row')).toHaveLength(2));
    expect(shop.of('set_shop_currency').map((c) => c.args)).toEqual([{ currency: 'EUR' }, { currency: 'INR' }]);
  });

  it('words an age and an hour', () => {
    expect(rateAge({ age_days: 1, as_of: '2026-03-13' })).toBe('yesterday (2026-03-13)');
    expect(hourLabel(3)).toBe('03:00');
    expect(hourLabel(null)).toBe('');
  });
});

describe('the daily sync', () => {
  it('sets the hour the catalog syncs each day, or turns it off', async () => {
    let hour: number | null = null;
    const shop = mockShop({
      daily_sync: () => ({ hour, last_run: '2026-03-14T03:00:02.000Z' }),
      set_sync_hour: (args) => {
        hour = args.hour === '' ? null : Number(args.hour);
        return { hour, last_run: null };
      },
    });
    render(DailySync);
    await waitFor(() => expect(screen.getByText(/Last daily sync/)).toBeTruthy());
    expect(screen.getByText('The catalog syncs only when you press Sync now.')).toBeTruthy();
    await fireEvent.change(screen.getByTestId('sync-hour'), { target: { value: '3' } });
    await waitFor(() => expect(screen.getByText(/each day at 03:00/)).toBeTruthy());
    await fireEvent.change(screen.getByTestId('sync-hour'), { target: { value: '' } });
    await waitFor(() => expect(screen.getByText('The catalog syncs only when you press Sync now.')).toBeTruthy());
    expect(shop.of('set_sync_hour').map((c) => c.args)).toEqual([{ hour: '3' }, { hour: '' }]);
  });
});

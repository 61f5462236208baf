import { emit } from '@tauri-apps/api/event';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { PricePreview, PriceRule, PricingView, RuleInput } from '../lib/types';
import { mockShop } from '../test/shop';
import Pricing from './Pricing.svelte';

const STARTER: PriceRule = { fee_pct: '3', fx_pct: '2', margin_pct: '8', rounding: '.99', floor: null };
const VIEW: PricingView = {
  rules: { global: STARTER, by_category: { mobile_topup: { ...STARTER, margin_pct: '4', rounding: 'none' } } },
  currency: 'USD',
};
const usd = (amount: string) => ({ amount, currency: 'USD' });

/** What core answers for the Steam $20 card: the price rises with the margin. */
function previewFor(rule: RuleInput): PricePreview[] {
  const retail = rule.margin_pct === '20' ? '24.99' : '21.99';
  const margin = rule.margin_pct === '20' ? '5.34' : '2.49';
  return [
    {
      sku: 'STEAM-US-20',
      name: 'Steam Wallet $20',
      category: 'gift_card',
      wholesale: usd('18.40'),
      current: usd('21.99'),
      retail: usd(retail),
      margin: usd(margin),
      margin_pct: rule.margin_pct === '20' ? '21.4' : '11.3',
      below_floor: false,
    },
  ];
}

const LAST_SYNC = {
  id: 4, kind: 'incremental', status: 'ok', started_at: '2026-03-01T08:59:00.000Z', finished_at: '2026-03-01T09:00:00.000Z',
  received: 1284, inserted: 3, updated: 12, discontinued: 1, skipped: 2, error: null,
};

function shop(extra: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  return mockShop({
    price_rules: () => VIEW,
    price_preview: (args) => previewFor(args.rule as RuleInput),
    sync_summary: () => ({ last: LAST_SYNC, skipped: [{ sku: 'BAD-1', reason: 'price is not a number' }] }),
    price_changes: () => [
      {
        sku: 'STEAM-US-20', name: 'Steam Wallet $20', old_wholesale: usd('18.00'), new_wholesale: usd('18.90'),
        old_retail: usd('20.99'), new_retail: usd('21.99'), wholesale_change_pct: '5', retail_change_pct: '4.8',
        cause: 'sync', changed_at: '2026-03-01T09:00:00.000Z',
      },
    ],
    ...extra,
  });
}

const previewTable = () => screen.getByTestId('price-preview');

describe('the pricing screen', () => {
  it('previews the edited margin through core and saves nothing until asked', async () => {
    const calls = shop();
    render(Pricing);
    await waitFor(() => expect(within(previewTable()).getByTestId('preview-retail').textContent).toBe('$21.99'));
    expect((screen.getByLabelText('Margin %') as HTMLInputElement).value).toBe('8');
    expect(previewTable().textContent).toContain('11.3%');

    await fireEvent.input(screen.getByLabelText('Margin %'), { target: { value: '20' } });
    await waitFor(() => expect(within(previewTable()).getByTestId('preview-retail').textContent).toBe('$24.99'));
    expect(previewTable().textContent).toContain('21.4%');
    expect(calls.of('price_preview').at(-1)?.args).toEqual({
      category: null,
      rule: { fee_pct: '3', fx_pct: '2', margin_pct: '20', rounding: '.99', floor: null, floor_currency: null },
      limit: 8,
    });
    expect(calls.of('save_price_rule')).toEqual([]);
  });

  it('shows a category its own rule, or says it uses the global one', async () => {
    const calls = shop();
    render(Pricing);
    const scope = await screen.findByLabelText('Applies to');
    await waitFor(() => expect(calls.of('price_preview').length).toBeGreaterThan(0));
    await fireEvent.change(scope, { target: { value: 'mobile_topup' } });
    expect(screen.getByText('This category has its own rule.')).toBeTruthy();
    expect((screen.getByLabelText('Margin %') as HTMLInputElement).value).toBe('4');
    await waitFor(() => expect(calls.of('price_preview').at(-1)?.args).toMatchObject({ category: 'mobile_topup' }));
    await fireEvent.change(scope, { target: { value: 'software_key' } });
    expect(screen.getByText('Uses the global rule until you save one for this category.')).toBeTruthy();
    expect((screen.getByLabelText('Margin %') as HTMLInputElement).value).toBe('8');
  });

  it('gives a category with its own rule back to the global rule', async () => {
    let view = VIEW;
    const calls = shop({
      price_rules: () => view,
      remove_price_rule: () => {
        view = { ...VIEW, rules: { ...VIEW.rules, by_category: {} } };
        return { products: 300, changed: 7 };
      },
    });
    render(Pricing);
    const scope = await screen.findByLabelText('Applies to');
    await fireEvent.change(scope, { target: { value: 'software_key' } });
    expect(screen.queryByRole('button', { name: 'Use the global rule' })).toBeNull();
    await fireEvent.change(scope, { target: { value: 'mobile_topup' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Use the global rule' }));
    await screen.findByText('Now priced by the global rule: 7 of 300 prices changed.');
    expect(calls.of('remove_price_rule').map((c) => c.args)).toEqual([{ category: 'mobile_topup' }]);
    expect(calls.of('save_price_rule')).toEqual([]);
    await screen.findByText('Uses the global rule until you save one for this category.');
    await waitFor(() => expect((screen.getByLabelText('Margin %') as HTMLInputElement).value).toBe('8'));
  });

  it('points at the field core refused and blocks saving', async () => {
    shop({
      price_preview: (args) => {
        const rule = args.rule as RuleInput;
        if (rule.margin_pct === '96') {
          throw { code: 'errors.validation', message: 'margin: fee + fx + margin = 101%, which must stay below 100%' };
        }
        return previewFor(rule);
      },
    });
    render(Pricing);
    await screen.findByTestId('price-preview');
    await fireEvent.input(screen.getByLabelText('Margin %'), { target: { value: '96' } });
    await waitFor(() => expect(screen.getByLabelText('Margin %').getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByRole('alert').textContent).toContain('must stay below 100%');
    expect((screen.getByRole('button', { name: 'Save and reprice' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('saves the rule with a floor in the catalog currency and reports the repricing', async () => {
    const calls = shop({ save_price_rule: () => ({ products: 300, changed: 12 }) });
    render(Pricing);
    await screen.findByTestId('price-preview');
    await fireEvent.change(screen.getByLabelText('Applies to'), { target: { value: 'gift_card' } });
    await fireEvent.input(screen.getByLabelText('Margin floor (USD)'), { target: { value: '0.50' } });
    await fireEvent.change(screen.getByLabelText('Rounding'), { target: { value: '.50' } });
    await waitFor(() => expect(screen.getByLabelText('Margin floor (USD)').getAttribute('aria-invalid')).toBe('false'));
    await fireEvent.click(screen.getByRole('button', { name: 'Save and reprice' }));
    await screen.findByText('Saved: 12 of 300 prices changed.');
    expect(calls.of('save_price_rule')).toEqual([
      {
        cmd: 'save_price_rule',
        args: {
          category: 'gift_card',
          rule: { fee_pct: '3', fx_pct: '2', margin_pct: '8', rounding: '.50', floor: '0.50', floor_currency: 'USD' },
        },
      },
    ]);
  });

  it('syncs now with a progress bar, then shows the result and the price changes', async () => {
    let finish: (() => void) | null = null;
    const calls = shop({
      sync_catalog: () =>
        new Promise((resolve) => {
          finish = () => resolve({ run_id: 5, kind: 'incremental', received: 40, inserted: 0, updated: 40, discontinued: 0, skipped: 0, duration_ms: 1500 });
        }),
    });
    render(Pricing);
    const last = await screen.findByTestId('last-sync');
    expect(last.textContent).toContain('1,284 received · 3 new · 12 changed · 1 discontinued · 2 skipped');
    expect(document.body.textContent).toContain('Rows not imported (1)');
    const changes = screen.getByTestId('price-changes');
    expect(changes.textContent).toContain('+5.0%');
    expect(changes.textContent).toContain('Supplier cost');

    await fireEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    const bar = await screen.findByRole('progressbar');
    await emit('catalog-sync-progress', { stage: 'fetching', done: 20, total: 40 });
    await waitFor(() => expect(bar.getAttribute('value')).toBe('20'));
    expect(screen.getByText('20 of 40 products')).toBeTruthy();
    finish!();
    await screen.findByText('Sync finished in 1.5 s.');
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(calls.of('sync_summary').length).toBe(2);
  });
});

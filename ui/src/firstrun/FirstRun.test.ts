import { emit } from '@tauri-apps/api/event';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import App from '../App.svelte';
import { mockShop } from '../test/shop';
import FirstRun from './FirstRun.svelte';

const firstRunInfo = {
  version: '0.1.0',
  data_dir: '/tmp/x',
  db_path: '/tmp/x/codetill.db',
  product_count: 0,
  last_sync: null,
  supplier_configured: false,
  demo: false,
  demo_requested: false,
};

describe('the first run', () => {
  it('starts the sandbox demo with a progress bar', async () => {
    let finish: () => void = () => {};
    const shop = mockShop({ start_demo: () => new Promise<null>((r) => (finish = () => r(null))) });
    const started = vi.fn();
    render(FirstRun, { onstarted: started });
    await fireEvent.click(screen.getByRole('button', { name: 'Try it with the sandbox supplier' }));
    await waitFor(() => expect(shop.of('start_demo')).toHaveLength(1));
    await emit('catalog-sync-progress', { stage: 'fetching', done: 2000, total: 5000 });
    await waitFor(() => expect(screen.getByText('2,000 of 5,000 products')).toBeTruthy());
    const bar = screen.getByRole('progressbar', { name: 'Catalog sync' }) as HTMLProgressElement;
    expect(bar.value).toBe(2000);
    expect(bar.max).toBe(5000);
    expect(screen.getByText('Loading products from the supplier…')).toBeTruthy();
    finish();
    await waitFor(() => expect(started).toHaveBeenCalledOnce());
  });

  it('says why the demo could not start', async () => {
    mockShop({
      start_demo: () => {
        throw { code: 'errors.sandbox', message: 'cannot start the sandbox supplier: address in use' };
      },
    });
    render(FirstRun, { onstarted: () => {} });
    await fireEvent.click(screen.getByRole('button', { name: 'Try it with the sandbox supplier' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The sandbox supplier could not start.');
    expect(alert.textContent).toContain('address in use');
  });

  it('the app opens on the first-run screen without a supplier, then on the DEMO counter', async () => {
    let demo = false;
    mockShop({
      app_info: () => ({ ...firstRunInfo, demo, supplier_configured: demo, product_count: demo ? 5000 : 0 }),
      start_demo: () => {
        demo = true;
        return null;
      },
    });
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: 'Try it with the sandbox supplier' }));
    await waitFor(() => expect(screen.getByRole('combobox')).toBeTruthy());
    expect(screen.getByTestId('demo-chip').textContent).toBe('DEMO');
    expect(screen.getByRole('note').textContent).toContain('Codes are not real');
  });

  it('"Connect a supplier" opens Settings → Suppliers on the add form, its name field focused', async () => {
    const shop = mockShop({ app_info: () => firstRunInfo });
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: 'Connect a supplier' }));
    const form = await screen.findByTestId('supplier-form');
    await waitFor(() => expect(document.activeElement).toBe(within(form).getByLabelText('Name')));
    expect(screen.getByRole('button', { name: /Settings/ }).getAttribute('aria-current')).toBe('page');
    expect(shop.of('start_demo')).toHaveLength(0);
  });

  it('CODETILL_DEMO=1 starts the demo without a click', async () => {
    let demo = false;
    const shop = mockShop({
      app_info: () => ({ ...firstRunInfo, demo, demo_requested: true, supplier_configured: true, product_count: 10 }),
      start_demo: () => {
        demo = true;
        return null;
      },
    });
    render(App);
    await waitFor(() => expect(shop.of('start_demo')).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId('demo-chip')).toBeTruthy());
  });
});

import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { searchCatalog } from '../test/catalog';
import Counter from './Counter.svelte';

interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/** Mocks the Rust side with the test catalog and records every invoke. */
function mockShop(overrides: Partial<Record<string, (args: Record<string, unknown>) => unknown>> = {}) {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const override = overrides[cmd];
    if (override) return override(args);
    switch (cmd) {
      case 'search_products':
        return searchCatalog(String(args.query));
      case 'app_info':
        return { version: '0.1.0', data_dir: '/tmp/x', db_path: '/tmp/x/codetill.db', product_count: 3, last_sync: null };
      case 'session_state':
        return { needs_owner: false, session: { name: 'Asha', role: 'cashier' }, idle_lock_minutes: 5 };
      default:
        throw { code: 'errors.validation', message: `unexpected command ${cmd}` };
    }
  });
  return { calls, searches: () => calls.filter((c) => c.cmd === 'search_products') };
}

const searchBox = () => screen.getByRole('combobox') as HTMLInputElement;
const options = () => screen.queryAllByRole('option');
const quote = () => screen.getByRole('region', { name: 'Price quote' });

async function type(text: string) {
  await fireEvent.input(searchBox(), { target: { value: text } });
}

describe('the counter search', () => {
  it('has the search box focused on start', () => {
    mockShop();
    render(Counter);
    expect(document.activeElement).toBe(searchBox());
  });

  it('searches as you type, once per pause, and lists the results', async () => {
    const shop = mockShop();
    render(Counter, { debounceMs: 30 });
    await type('s');
    await type('st');
    await type('steam');
    await waitFor(() => expect(options()).toHaveLength(2));
    expect(shop.searches()).toEqual([{ cmd: 'search_products', args: { query: 'steam', limit: 20 } }]);
    expect(options()[0]?.getAttribute('aria-selected')).toBe('true');
    expect(options()[0]?.textContent).toContain('₹1,899.00');
    expect(screen.getByText('Results: 2')).toBeTruthy();
  });

  it('arrow keys move through the results and Enter shows the quote', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await type('steam');
    await waitFor(() => expect(options()).toHaveLength(2));
    await fireEvent.keyDown(searchBox(), { key: 'ArrowDown' });
    expect(options()[1]?.getAttribute('aria-selected')).toBe('true');
    expect(searchBox().getAttribute('aria-activedescendant')).toBe('result-1');
    await fireEvent.keyDown(searchBox(), { key: 'ArrowDown' }); // wraps to the top
    await fireEvent.keyDown(searchBox(), { key: 'ArrowUp' }); // and back to the bottom
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });

    const q = within(quote());
    await waitFor(() => expect(q.getByRole('heading').textContent).toBe('Steam Wallet $50'));
    expect(q.getByTestId('quote-price').textContent?.replace(/\s/g, '')).toBe('₹4,699.00');
    expect(q.getByText('STEAM-US-50')).toBeTruthy();
    expect(q.getByText('United States (US)')).toBeTruthy();
    expect(q.getByText('$50.00')).toBeTruthy();
    expect(q.getByText('Out of stock')).toBeTruthy();
  });

  it('a scanner that sends a sku and Enter at once gets that product', async () => {
    const shop = mockShop();
    render(Counter, { debounceMs: 10_000 });
    await type('JIO-IN-239');
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    await waitFor(() => expect(within(quote()).getByRole('heading').textContent).toBe('जियो ₹239 अनलिमिटेड'));
    expect(shop.searches()).toHaveLength(1);
    expect(within(quote()).getByText('In stock')).toBeTruthy();
  });

  it('Esc clears the search, the results and the quote', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await type('steam');
    await waitFor(() => expect(options()).toHaveLength(2));
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    await waitFor(() => within(quote()).getByRole('heading', { name: 'Steam Wallet $20' }));
    await fireEvent.keyDown(searchBox(), { key: 'Escape' });
    expect(searchBox().value).toBe('');
    expect(options()).toHaveLength(0);
    expect(within(quote()).getByRole('heading').textContent).toBe('Find a product');
  });

  it('F2 brings the focus back to the search box from anywhere', async () => {
    mockShop();
    render(Counter);
    const elsewhere = document.body.appendChild(document.createElement('button'));
    elsewhere.focus();
    expect(document.activeElement).toBe(elsewhere);
    await fireEvent.keyDown(elsewhere, { key: 'F2' });
    expect(document.activeElement).toBe(searchBox());
    elsewhere.remove();
  });

  it('typing while nothing has focus goes to the search box', async () => {
    mockShop();
    render(Counter);
    searchBox().blur();
    expect(document.activeElement).toBe(document.body);
    await fireEvent.keyDown(document.body, { key: 's' });
    expect(document.activeElement).toBe(searchBox());
  });

  it('says so when nothing matches', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await type('xbox');
    await waitFor(() => expect(screen.getByText('No products match “xbox”')).toBeTruthy());
  });

  it('shows a database error in words, with the detail', async () => {
    mockShop({
      search_products: () => {
        throw { code: 'errors.database', message: 'database: disk I/O error' };
      },
    });
    render(Counter, { debounceMs: 0 });
    await type('steam');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The shop’s database did not answer');
    expect(alert.textContent).toContain('database: disk I/O error');
  });

  it('drops an answer that arrives after a newer search', async () => {
    let releaseSlow: (v: unknown) => void = () => {};
    mockShop({
      search_products: (args) =>
        args.query === 'ste' ? new Promise((r) => (releaseSlow = () => r(searchCatalog('ste')))) : searchCatalog(String(args.query)),
    });
    render(Counter, { debounceMs: 0 });
    await type('ste');
    await waitFor(() => expect(screen.getByText('Searching…')).toBeTruthy());
    await type('jio');
    await waitFor(() => expect(options()).toHaveLength(1));
    releaseSlow(null);
    await new Promise((r) => setTimeout(r, 20));
    expect(options()).toHaveLength(1);
    expect(options()[0]?.textContent).toContain('JIO-IN-239');
  });
});

describe('the app', () => {
  it('switches the whole screen to Hindi and back from the header', async () => {
    mockShop();
    render(App);
    await waitFor(() => expect(screen.getByText('Products: 3')).toBeTruthy());
    await fireEvent.click(screen.getByRole('button', { name: 'हिन्दी' }));
    expect(searchBox().placeholder).toBe('नाम, ब्रांड या SKU लिखें');
    expect(screen.getByText('उत्पाद: 3')).toBeTruthy();
    expect(screen.getByRole('heading').textContent).toBe('उत्पाद खोजें');
    expect(screen.getByRole('button', { name: 'हिन्दी' }).getAttribute('aria-pressed')).toBe('true');
    await fireEvent.click(screen.getByRole('button', { name: 'EN' }));
    expect(searchBox().placeholder).toBe('Type a name, brand or SKU');
  });
});

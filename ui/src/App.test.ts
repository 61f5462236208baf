import { emit } from '@tauri-apps/api/event';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { setSupplierReachable } from './lib/supplier.svelte';
import { mockShop } from './test/shop';

const INFO = {
  version: '0.1.0', data_dir: '/tmp/x', db_path: '/tmp/x/codetill.db', product_count: 3, last_sync: null,
  supplier_configured: true, demo: false, demo_requested: false, open_alerts: 2,
  supplier: { reachable: true, checked_at: null, error: null },
};

function shop() {
  return mockShop({
    app_info: () => INFO,
    balance_overview: () => ({ available: null, updated_at: null, avg_daily_spend: null, runway_days: null, threshold: null, spend: [], supplier_error: null }),
    alerts: () => [],
    price_rules: () => ({ rules: { global: { fee_pct: '3', fx_pct: '2', margin_pct: '8', rounding: '.99', floor: null }, by_category: {} }, currency: 'INR' }),
    price_preview: () => [],
    sync_summary: () => ({ last: null, skipped: [] }),
    price_changes: () => [],
    settings: () => ({ supplier_url: null, supplier_url_from_env: false, supplier_key_set: false, shop_name: null, shop_address: null,
      till_id: null, language: 'en', data_dir: '/tmp/x', printer: null, smtp_url: null, smtp_password_set: false, secrets_error: null,
      relay_url: null, relay_url_from_env: false, relay_token_set: false, stripe_api_url: null, stripe_api_url_from_env: false,
      stripe_success_url: null, stripe_key_set: false, btcpay_url: null, btcpay_url_from_env: false, btcpay_store_id: null,
      btcpay_store_id_from_env: false, btcpay_key_set: false, nowpayments_ipn_url: null, nowpayments_ipn_url_from_env: false,
      nowpayments_key_set: false, razorpay_key_id: null, razorpay_key_id_from_env: false, razorpay_key_secret_set: false,
      remote: { relay: { ready: false, problem: null }, stripe: { ready: false, problem: null }, btcpay: { ready: false, problem: null },
        nowpayments: { ready: false, problem: null }, razorpay: { ready: false, problem: null } } }),
  });
}

describe('the shell', () => {
  it('lists every screen with its key for the owner; F6–F9 open them and Esc comes back to the counter', async () => {
    shop();
    render(App);
    const nav = await screen.findByRole('navigation', { name: 'Screens' });
    const labels = [...nav.querySelectorAll('button')].map((b) => b.textContent?.replace(/\s+/g, ' ').trim());
    expect(labels).toEqual([
      'F2 Counter', 'F6 Orders', 'F7 Pricing', 'F8 Balance & alerts', 'F9 Settings', 'F10 Reports', 'F11 Shift', 'F12 Staff',
    ]);
    await screen.findByRole('combobox');

    await fireEvent.keyDown(window, { key: 'F7' });
    await screen.findByRole('form', { name: 'Price rule' });
    await fireEvent.keyDown(window, { key: 'F8' });
    await screen.findByText('Supplier balance');
    await fireEvent.keyDown(window, { key: 'F9' });
    await screen.findByText('Data folder');
    await fireEvent.keyDown(window, { key: 'Escape' });
    await screen.findByRole('combobox');
    await fireEvent.keyDown(window, { key: 'F6' });
    await screen.findByRole('table', { name: 'Order history' });
    await fireEvent.keyDown(window, { key: 'F2' });
    await screen.findByRole('combobox');
  });

  it('shows open alerts in the header and greys out products while the supplier is down', async () => {
    shop();
    render(App);
    const chip = await screen.findByTestId('alerts-chip');
    expect(chip.textContent?.trim()).toBe('Alerts: 2');
    await fireEvent.input(await screen.findByRole('combobox'), { target: { value: 'steam' } });
    const list = await screen.findByRole('listbox');
    await waitFor(() => expect(screen.getAllByRole('option').length).toBeGreaterThan(0));
    expect(list.classList.contains('down')).toBe(false);

    await emit('supplier-status', { reachable: false, checked_at: '2026-03-01T09:00:00.000Z', error: 'timeout' });
    await screen.findByTestId('supplier-down');
    await waitFor(() => expect(list.classList.contains('down')).toBe(true));
    expect(document.body.textContent).toContain('Supplier unreachable — these cannot be sold until it answers.');

    await emit('supplier-status', { reachable: true, checked_at: '2026-03-01T09:01:00.000Z', error: null });
    await waitFor(() => expect(screen.queryByTestId('supplier-down')).toBeNull());
    expect(list.classList.contains('down')).toBe(false);

    await fireEvent.click(chip);
    await screen.findByText('Supplier balance');
    setSupplierReachable(null);
  });

  it('opens locked on the PIN pad; a cashier signs in to the cashier screens; Ctrl+L locks again', async () => {
    let who: { name: string; role: string } | null = null;
    const mock = mockShop({
      app_info: () => INFO,
      session_state: () => ({ needs_owner: false, session: who, idle_lock_minutes: 5 }),
      sign_in: (a) => {
        if (a.pin !== '3333') return { outcome: 'wrong_pin', left: 4 };
        who = { name: 'Asha', role: 'cashier' };
        return { outcome: 'signed_in', session: who };
      },
      lock: () => {
        who = null;
        return null;
      },
    });
    render(App);
    await screen.findByTestId('pin-pad');
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(screen.queryByRole('combobox')).toBeNull();
    for (const k of ['3', '3', '3', '3', 'Enter']) await fireEvent.keyDown(window, { key: k });
    const nav = await screen.findByRole('navigation', { name: 'Screens' });
    const labels = [...nav.querySelectorAll('button')].map((b) => b.textContent?.replace(/\s+/g, ' ').trim());
    expect(labels).toEqual(['F2 Counter', 'F6 Orders', 'F11 Shift']);
    expect(screen.getByTestId('signed-in').textContent).toContain('Asha');
    expect(screen.getByTestId('lock').textContent).toContain('Ctrl+L');
    await screen.findByRole('combobox');
    // An owner's key does nothing for a cashier.
    await fireEvent.keyDown(window, { key: 'F9' });
    expect(screen.queryByText('Data folder')).toBeNull();

    await fireEvent.keyDown(window, { key: 'l', ctrlKey: true });
    await screen.findByTestId('pin-pad');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('The till is locked');
    expect(mock.of('lock')).toHaveLength(1);
    expect(screen.queryByRole('combobox')).toBeNull();
  });

  it('goes back to the PIN pad when the backend answers that the till is locked', async () => {
    mockShop({
      app_info: () => INFO,
      search_products: () => {
        throw { code: 'errors.locked', message: 'the till locked itself after 5 minutes unused: sign in with your PIN' };
      },
    });
    render(App);
    await fireEvent.input(await screen.findByRole('combobox'), { target: { value: 'steam' } });
    await screen.findByTestId('pin-pad');
  });

  it('asks a shop with no staff for its owner first: the name, and the PIN twice', async () => {
    const mock = mockShop({
      app_info: () => INFO,
      session_state: () => ({ needs_owner: true, session: null, idle_lock_minutes: 5 }),
      create_owner: (a) => ({ outcome: 'signed_in', session: { name: a.name, role: 'owner' } }),
    });
    render(App);
    await screen.findByTestId('owner-setup');
    await fireEvent.input(screen.getByTestId('owner-name'), { target: { value: 'Meera' } });
    await fireEvent.input(screen.getByTestId('owner-pin'), { target: { value: '1234' } });
    await fireEvent.input(screen.getByTestId('owner-pin-again'), { target: { value: '1243' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save and sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('The two PINs differ');
    expect(mock.of('create_owner')).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('owner-pin-again'), { target: { value: '1234' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save and sign in' }));
    await screen.findByRole('combobox');
    expect(mock.of('create_owner')[0]?.args).toEqual({ name: 'Meera', pin: '1234' });
    expect(screen.getByTestId('signed-in').textContent).toContain('Meera');
  });
});

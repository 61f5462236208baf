import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { DatabaseReport, DatabaseStatus } from '../lib/types';
import { DATABASE_STATUS, mockShop } from '../test/shop';
import DatabaseSettings from './DatabaseSettings.svelte';

const URL = 'postgres://codetill:hunter2@db.shop.example:5432/shop';
const SHOWN = 'postgres://codetill:***@db.shop.example:5432/shop';
const FILE = DATABASE_STATUS.now.location;

const EMPTY: DatabaseReport = {
  url: SHOWN,
  server_version: 'PostgreSQL 15.8 on x86_64-pc-linux-gnu',
  orders: 0,
  products: 0,
  staff: 0,
  holds_shop: false,
  vault: 'not_bound',
};
const SHOP: DatabaseReport = { ...EMPTY, orders: 1234, products: 5012, staff: 4, holds_shop: true, vault: 'same' };

const ON_FILE: DatabaseStatus = { now: { store: 'sqlite', location: FILE }, from_env: false, next: null, keyring_error: null };
const ON_SERVER: DatabaseStatus = { ...ON_FILE, now: { store: 'postgres', location: SHOWN } };

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;
const field = () => screen.getByLabelText('Server address (postgres://user:password@host:5432/shop)') as HTMLInputElement;

/** A promise and its resolve, to hold a command's answer while the screen waits. */
function held<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Settings → Database', () => {
  it('shows this till’s own file, tests an address (Enter), and saves only the address that passed', async () => {
    const answer = held<DatabaseReport>();
    const shop = mockShop({
      database_test: () => answer.promise,
      database_save: (a) => ({
        report: { ...EMPTY },
        status: { ...ON_FILE, next: { store: 'postgres', location: SHOWN } },
        restart_needed: a.url === URL,
      }),
    });
    render(DatabaseSettings);
    expect((await screen.findByTestId('database-store')).textContent).toBe('This till’s own file (SQLite)');
    expect((screen.getByTestId('database-location') as HTMLInputElement).value).toBe(FILE);
    expect(screen.queryByTestId('database-next')).toBeNull();
    expect(field().type).toBe('password');
    expect(button('Test').disabled).toBe(true);
    expect(button('Save for the next start').disabled).toBe(true);
    // Nothing is kept: nothing to forget.
    expect(screen.queryByTestId('database-forget')).toBeNull();

    await fireEvent.input(field(), { target: { value: `  ${URL} ` } });
    await fireEvent.submit(field().form!);
    // While the server is asked: progress, and neither button.
    expect((await screen.findByTestId('database-testing')).textContent).toBe('Testing the server…');
    expect(button('Test').disabled).toBe(true);
    expect(button('Save for the next start').disabled).toBe(true);
    answer.resolve({ ...EMPTY });

    const report = await screen.findByTestId('database-report');
    expect(screen.queryByTestId('database-testing')).toBeNull();
    expect(screen.getByTestId('database-report-url').textContent).toBe(SHOWN);
    expect(screen.getByTestId('database-version').textContent).toBe('PostgreSQL 15.8 on x86_64-pc-linux-gnu');
    expect(screen.getByTestId('database-shop').textContent?.trim()).toBe('Empty: this till’s shop will be created there.');
    expect(screen.getByTestId('database-vault').textContent).toContain('No key is bound to it yet');
    expect(report.textContent).toContain('only its name, printer and drawer go with it');
    expect(shop.of('database_test').map((c) => c.args)).toEqual([{ url: URL }]);
    // Passed: Save is offered, and takes the focus (Enter saves).
    await waitFor(() => expect(document.activeElement).toBe(button('Save for the next start')));
    expect(button('Save for the next start').disabled).toBe(false);

    // Another address is another test first.
    await fireEvent.input(field(), { target: { value: `${URL}2` } });
    expect(button('Save for the next start').disabled).toBe(true);
    await fireEvent.input(field(), { target: { value: URL } });
    expect(button('Save for the next start').disabled).toBe(false);

    await fireEvent.click(button('Save for the next start'));
    expect((await screen.findByTestId('database-saved')).textContent).toBe(
      'Kept in this computer’s keyring. Restart codetill to use the server.',
    );
    expect(shop.of('database_save').map((c) => c.args)).toEqual([{ url: URL }]);
    const next = screen.getByTestId('database-next');
    expect(next.textContent).toContain('From the next start: The shop’s server (PostgreSQL)');
    expect(next.textContent).toContain(SHOWN);
    expect(next.textContent).toContain('Restart codetill for the change to take effect.');
    // The running till is still on its file; the password has left the screen.
    expect((screen.getByTestId('database-location') as HTMLInputElement).value).toBe(FILE);
    expect(field().value).toBe('');
    expect(document.body.innerHTML).not.toContain('hunter2');
    expect(button('Save for the next start').disabled).toBe(true);
    expect(screen.getByTestId('database-forget')).toBeTruthy();
  });

  it('says a server holds a shop this till would join, and when its codes need another key', async () => {
    mockShop({ database_test: () => ({ ...SHOP, vault: 'different' }) });
    render(DatabaseSettings);
    await screen.findByTestId('database-store');
    await fireEvent.input(field(), { target: { value: URL } });
    await fireEvent.click(button('Test'));
    expect((await screen.findByTestId('database-shop')).textContent?.trim()).toBe(
      'This server already holds a shop with 1,234 orders, 5,012 products and 4 staff — this till will join it.',
    );
    const vault = screen.getByTestId('database-vault');
    expect(vault.textContent).toBe('Its codes are sealed with another key: this till cannot sell there until it holds the shop’s key.');
    expect(vault.className).toContain('warn');
    // The vault key and the restart, said whatever the test found.
    expect(screen.getByText(/must hold the same vault key/).textContent).toContain('CODETILL_VAULT_KEY_FILE');
    expect(screen.getByText(/takes effect when codetill restarts/)).toBeTruthy();
  });

  it('shows core’s refusal of an address and offers no Save', async () => {
    mockShop({
      database_test: (a) => {
        if (String(a.url).startsWith('mysql:')) {
          throw { code: 'errors.validation', message: "cannot open database mysql://codetill:***@db/shop: the shop's database URL is not postgres://…" };
        }
        throw {
          code: 'errors.database_server',
          message: 'the database server postgres://codetill:***@127.0.0.1:1/shop cannot be reached: Connection refused (os error 111)',
        };
      },
    });
    render(DatabaseSettings);
    await screen.findByTestId('database-store');
    await fireEvent.input(field(), { target: { value: 'postgres://codetill:hunter2@127.0.0.1:1/shop' } });
    await fireEvent.click(button('Test'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The database server could not be reached, or it refused the user, password or database.');
    expect(alert.textContent).toContain('Connection refused');
    expect(field().getAttribute('aria-invalid')).toBe('true');
    expect(button('Save for the next start').disabled).toBe(true);
    expect(screen.queryByTestId('database-report')).toBeNull();

    await fireEvent.input(field(), { target: { value: 'mysql://codetill:hunter2@db/shop' } });
    await fireEvent.click(button('Test'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('is not postgres://'));
    expect(button('Save for the next start').disabled).toBe(true);
  });

  it('is read-only while CODETILL_DATABASE_URL chooses the database', async () => {
    const shop = mockShop({ database_status: () => ({ ...ON_SERVER, from_env: true }) });
    render(DatabaseSettings);
    expect((await screen.findByTestId('database-env')).textContent).toBe(
      'CODETILL_DATABASE_URL is set on this computer and chooses the database: change it there. Nothing here changes it.',
    );
    expect(screen.getByTestId('database-store').textContent).toBe('The shop’s server (PostgreSQL)');
    expect((screen.getByTestId('database-location') as HTMLInputElement).value).toBe(SHOWN);
    expect(screen.queryByTestId('database-url')).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
    expect(shop.calls.map((c) => c.cmd)).toEqual(['database_status']);
  });

  it('forgets a kept server only after asking, and says the next start opens the file', async () => {
    const shop = mockShop({
      database_status: () => ON_SERVER,
      database_forget: () => ({ ...ON_SERVER, next: { store: 'sqlite', location: FILE } }),
    });
    render(DatabaseSettings);
    await fireEvent.click(await screen.findByTestId('database-forget'));
    const ask = await screen.findByRole('alertdialog');
    expect(ask.textContent).toContain('Forget the server? From the next start this till uses its own file again');
    expect(document.activeElement).toBe(button('Yes, forget it'));
    // Esc steps back, nothing forgotten.
    await fireEvent.keyDown(ask, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(shop.of('database_forget')).toHaveLength(0);

    await fireEvent.click(screen.getByTestId('database-forget'));
    await fireEvent.click(await screen.findByRole('button', { name: 'Yes, forget it' }));
    expect((await screen.findByTestId('database-forgotten')).textContent).toBe(
      'Forgotten. Restart codetill to use this till’s own file.',
    );
    expect(shop.of('database_forget')).toHaveLength(1);
    expect(screen.getByTestId('database-next').textContent).toContain('From the next start: This till’s own file (SQLite)');
    // Still on the server until the restart.
    expect(screen.getByTestId('database-store').textContent).toBe('The shop’s server (PostgreSQL)');
    expect(screen.queryByTestId('database-forget')).toBeNull();
  });

  it('shows a keyring that could not be asked', async () => {
    mockShop({ database_status: () => ({ ...ON_FILE, keyring_error: 'the OS keyring is not available (no session bus)' }) });
    render(DatabaseSettings);
    expect((await screen.findByRole('alert')).textContent).toBe(
      'The computer’s keyring could not be used: the OS keyring is not available (no session bus)',
    );
  });

  it('reads in Hindi: the file, the report and the restart', async () => {
    setLocale('hi');
    mockShop({ database_test: () => SHOP });
    render(DatabaseSettings);
    expect((await screen.findByTestId('database-store')).textContent).toBe('इस टिल की अपनी फ़ाइल (SQLite)');
    await fireEvent.input(screen.getByLabelText('सर्वर का पता (postgres://user:password@host:5432/shop)'), { target: { value: URL } });
    await fireEvent.click(screen.getByRole('button', { name: 'जाँचें' }));
    expect((await screen.findByTestId('database-shop')).textContent).toContain('इस सर्वर पर पहले से एक दुकान है');
    expect(screen.getByTestId('database-vault').textContent).toBe('इसके कोड इसी टिल की कुंजी से सुरक्षित हैं।');
    expect(screen.getByText(/codetill के दोबारा शुरू होने पर लागू होता है/)).toBeTruthy();
    expect((screen.getByRole('button', { name: 'अगली शुरुआत के लिए सहेजें' }) as HTMLButtonElement).disabled).toBe(false);
  });
});

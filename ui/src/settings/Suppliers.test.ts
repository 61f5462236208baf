import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { SupplierAccount } from '../lib/types';
import { mockShop } from '../test/shop';
import Suppliers from './Suppliers.svelte';

const RELOADLY: SupplierAccount = {
  name: 'reloadly-main',
  kind: 'reloadly',
  url: 'https://giftcards-sandbox.reloadly.com',
  auth_url: 'https://auth.reloadly.com',
  account: null,
  account_currency: 'USD',
  enabled: true,
  created_at: '2026-03-01T09:00:00.000Z',
};

/** A shop whose accounts live in `list`, as core keeps them. */
function shopWith(list: SupplierAccount[]) {
  return mockShop({
    supplier_accounts: () => structuredClone(list),
    add_supplier_account: (args) => {
      const input = args.input as Record<string, string | null>;
      if (!input.url?.startsWith('http')) throw { code: 'errors.validation', message: `url: "${input.url}": relative URL without a base` };
      const added = { ...RELOADLY, ...input, enabled: true } as unknown as SupplierAccount;
      delete (added as unknown as Record<string, unknown>).key;
      list.push(added);
      return added;
    },
    test_supplier_account: (args) => ({ name: args.name, balance: '1250.00', currency: 'USD' }),
    set_supplier_account_enabled: (args) => {
      const a = list.find((x) => x.name === args.name)!;
      a.enabled = Boolean(args.enabled);
      return a;
    },
    remove_supplier_account: (args) => {
      const i = list.findIndex((x) => x.name === args.name);
      return list.splice(i, 1)[0];
    },
  });
}

const rows = () => screen.queryAllByTestId('supplier-row');

describe('Settings → Suppliers', () => {
  it('lists each account with its kind, sandbox or live, and whether it is in use', async () => {
    shopWith([RELOADLY, { ...RELOADLY, name: 'ding-in', kind: 'ding', url: 'https://api.dingconnect.com', account: '+919800000000', enabled: false }]);
    render(Suppliers);
    await waitFor(() => expect(rows()).toHaveLength(2));
    const [first, second] = rows() as [HTMLElement, HTMLElement];
    expect(first.textContent).toContain('Reloadly gift cards');
    expect(first.textContent).toContain('Sandbox');
    expect(first.textContent).toContain('Enabled');
    expect(second.textContent).toContain('Ding');
    expect(second.textContent).toContain('Live');
    expect(second.textContent).toContain('Disabled');
    expect(second.textContent).toContain('+919800000000');
  });

  it('adds an account with its key from a password field, then tests it', async () => {
    const shop = shopWith([]);
    render(Suppliers, { adding: true });
    await waitFor(() => expect(screen.getByText('No supplier accounts yet. Add one to sell real codes.')).toBeTruthy());
    const form = screen.getByTestId('supplier-form');
    const key = within(form).getByLabelText(/API key/) as HTMLInputElement;
    expect(key.type).toBe('password');
    await fireEvent.input(within(form).getByLabelText('Name'), { target: { value: 'reloadly-main' } });
    await fireEvent.input(within(form).getByLabelText('API address'), { target: { value: 'https://giftcards-sandbox.reloadly.com' } });
    await fireEvent.input(within(form).getByLabelText('Token address (Reloadly)'), { target: { value: 'https://auth.reloadly.com' } });
    await fireEvent.input(within(form).getByLabelText('Account currency'), { target: { value: 'usd' } });
    await fireEvent.input(key, { target: { value: 'client:secret' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Add and test' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(shop.of('add_supplier_account')[0]?.args).toEqual({
      input: {
        name: 'reloadly-main',
        kind: 'reloadly',
        url: 'https://giftcards-sandbox.reloadly.com',
        auth_url: 'https://auth.reloadly.com',
        account: null,
        account_currency: 'USD',
        key: 'client:secret',
      },
    });
    await waitFor(() => expect(screen.getByTestId('supplier-test').textContent).toContain('Connected. Balance:'));
    expect(screen.getByTestId('supplier-test').textContent).toContain('1,250.00');
    expect(screen.queryByTestId('supplier-form')).toBeNull();
    // The key never shows again.
    expect(document.body.textContent).not.toContain('client:secret');
  });

  it('marks the field core refused and keeps what was typed', async () => {
    shopWith([]);
    render(Suppliers, { adding: true });
    const form = await screen.findByTestId('supplier-form');
    await fireEvent.input(within(form).getByLabelText('Name'), { target: { value: 'main' } });
    await fireEvent.input(within(form).getByLabelText('API address'), { target: { value: 'giftcards.reloadly.com' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Add and test' }));
    await waitFor(() => expect(within(form).getByLabelText('API address').getAttribute('aria-invalid')).toBe('true'));
    expect(within(form).getByLabelText('Name').getAttribute('aria-invalid')).toBe('false');
    expect((within(form).getByLabelText('Name') as HTMLInputElement).value).toBe('main');
    expect(within(form).getByRole('alert').textContent).toContain('relative URL');
  });

  it('asks only Bamboo for its AccountId and Ding for its phone number', async () => {
    shopWith([]);
    render(Suppliers, { adding: true });
    const form = await screen.findByTestId('supplier-form');
    const kind = within(form).getByLabelText('Kind') as HTMLSelectElement;
    expect(within(form).queryByLabelText('Bamboo AccountId')).toBeNull();
    await fireEvent.change(kind, { target: { value: 'bamboo' } });
    expect(within(form).getByLabelText('Bamboo AccountId')).toBeTruthy();
    expect(within(form).queryByLabelText('Token address (Reloadly)')).toBeNull();
    await fireEvent.change(kind, { target: { value: 'ding' } });
    expect(within(form).getByLabelText('Phone number PINs are sent to (Ding)')).toBeTruthy();
  });

  it('disables, enables and removes (asked twice) an account', async () => {
    const shop = shopWith([structuredClone(RELOADLY)]);
    render(Suppliers);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await fireEvent.click(screen.getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(rows()[0]?.textContent).toContain('Disabled'));
    expect(shop.of('set_supplier_account_enabled')[0]?.args).toEqual({ name: 'reloadly-main', enabled: false });
    await fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    await waitFor(() => expect(rows()[0]?.textContent).toContain('Enabled'));

    await fireEvent.click(screen.getByRole('button', { name: 'Remove' }));
    expect(shop.of('remove_supplier_account')).toHaveLength(0);
    await fireEvent.click(screen.getByRole('button', { name: 'Click again to remove' }));
    await waitFor(() => expect(rows()).toHaveLength(0));
    expect(shop.of('remove_supplier_account')[0]?.args).toEqual({ name: 'reloadly-main' });
  });

  it('says when the supplier does not answer the test', async () => {
    mockShop({
      supplier_accounts: () => [RELOADLY],
      test_supplier_account: () => {
        throw { code: 'errors.supplier', message: 'supplier unreachable: connection refused' };
      },
    });
    render(Suppliers);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    await waitFor(() => expect(screen.getByTestId('supplier-test').textContent).toContain('No answer: supplier unreachable: connection refused'));
  });
});

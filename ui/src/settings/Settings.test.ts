import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { locale } from '../lib/i18n/index.svelte';
import type { SettingsInput, SettingsView } from '../lib/types';
import { mockShop } from '../test/shop';
import Settings from './Settings.svelte';

const VIEW: SettingsView = {
  supplier_url: 'https://api.wholesale.example/',
  supplier_url_from_env: false,
  supplier_key_set: false,
  shop_name: 'Asha Mobile & Gifts',
  shop_address: null,
  till_id: 'till-1',
  language: 'en',
  data_dir: '/home/asha/.local/share/codetill',
  printer: null,
  smtp_url: null,
  smtp_password_set: false,
  secrets_error: null,
};

describe('the settings screen', () => {
  it('shows the settings, the data folder read-only, and saves them', async () => {
    let saved: SettingsView = VIEW;
    const calls = mockShop({
      settings: () => saved,
      save_settings: (args) => {
        const input = args.input as SettingsInput;
        saved = { ...VIEW, ...input, shop_address: input.shop_address || null, printer: input.printer || null, smtp_url: null };
        return saved;
      },
    });
    let changed = 0;
    render(Settings, { onsaved: () => changed++ });
    await waitFor(() => expect((screen.getByLabelText('Shop name') as HTMLInputElement).value).toBe('Asha Mobile & Gifts'));
    const dir = screen.getByLabelText('Data folder') as HTMLInputElement;
    expect(dir.value).toBe('/home/asha/.local/share/codetill');
    expect(dir.readOnly).toBe(true);
    expect(screen.getByTestId('supplier_key-state').textContent).toBe('Not set');

    await fireEvent.input(screen.getByLabelText('Address (on receipts)'), { target: { value: '12 MG Road, Pune' } });
    await fireEvent.input(screen.getByLabelText('Receipt printer'), { target: { value: 'tcp://192.168.1.50:9100' } });
    await fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'hi' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(calls.of('save_settings')).toHaveLength(1));
    expect(calls.of('save_settings')[0]?.args).toEqual({
      input: {
        supplier_url: 'https://api.wholesale.example/',
        shop_name: 'Asha Mobile & Gifts',
        shop_address: '12 MG Road, Pune',
        till_id: 'till-1',
        language: 'hi',
        printer: 'tcp://192.168.1.50:9100',
        smtp_url: '',
      },
    });
    await waitFor(() => expect(locale()).toBe('hi'));
    expect(changed).toBe(1);
  });

  it('stores the API key in the keyring and only ever shows whether it is set', async () => {
    let keySet = false;
    const calls = mockShop({
      settings: () => ({ ...VIEW, supplier_key_set: keySet }),
      set_secret: (args) => {
        keySet = args.value !== '';
        return { ...VIEW, supplier_key_set: keySet };
      },
    });
    render(Settings);
    const key = (await screen.findByLabelText('API key: New value')) as HTMLInputElement;
    expect(key.type).toBe('password');
    expect(key.value).toBe('');
    await fireEvent.input(key, { target: { value: 'sk_live_123' } });
    await fireEvent.click(screen.getAllByRole('button', { name: 'Store in keyring' })[0]!);
    await waitFor(() => expect(screen.getByTestId('supplier_key-state').textContent).toBe('Set'));
    expect(key.value).toBe('');
    expect(document.body.innerHTML).not.toContain('sk_live_123');
    expect(calls.of('set_secret')[0]?.args).toEqual({ name: 'supplier_key', value: 'sk_live_123' });

    await fireEvent.click(screen.getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.getByTestId('supplier_key-state').textContent).toBe('Not set'));
  });

  it('marks the field core refused', async () => {
    mockShop({
      settings: () => VIEW,
      save_settings: () => {
        throw { code: 'errors.validation', message: 'printer: printer "lpt1": use tcp://, file: or pdf:' };
      },
    });
    render(Settings);
    const printer = await screen.findByLabelText('Receipt printer');
    await fireEvent.input(printer, { target: { value: 'lpt1' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(printer.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByRole('alert').textContent).toContain('That request was not valid.');
    expect(screen.getByLabelText('Shop name').getAttribute('aria-invalid')).toBe('false');
  });
});

import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { locale, setLocale } from '../lib/i18n/index.svelte';
import type { SettingsInput, SettingsView } from '../lib/types';
import { signedIn } from '../session/session.svelte';
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
  relay_url: null,
  relay_url_from_env: false,
  relay_token_set: false,
  stripe_api_url: null,
  stripe_api_url_from_env: false,
  stripe_success_url: null,
  stripe_key_set: false,
  btcpay_url: null,
  btcpay_url_from_env: false,
  btcpay_store_id: null,
  btcpay_store_id_from_env: false,
  btcpay_key_set: false,
  nowpayments_ipn_url: null,
  nowpayments_ipn_url_from_env: false,
  nowpayments_key_set: false,
  razorpay_key_id: null,
  razorpay_key_id_from_env: false,
  razorpay_key_secret_set: false,
  remote: {
    relay: { ready: false, problem: 'no relay configured' },
    stripe: { ready: false, problem: 'stripe is not configured: no API key' },
    btcpay: { ready: false, problem: 'btcpay is not configured: no server URL' },
    nowpayments: { ready: false, problem: 'nowpayments is not configured: no API key' },
    razorpay: { ready: false, problem: 'razorpay is not configured: no key id' },
  },
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
        relay_url: '',
        stripe_api_url: '',
        stripe_success_url: '',
        btcpay_url: '',
        btcpay_store_id: '',
        nowpayments_ipn_url: '',
        razorpay_key_id: '',
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

  it('saves the remote sales addresses and shows which providers are ready', async () => {
    const calls = mockShop({
      settings: () => VIEW,
      save_settings: (args) => {
        const input = args.input as SettingsInput;
        return {
          ...VIEW,
          relay_url: input.relay_url,
          btcpay_url: input.btcpay_url,
          btcpay_store_id: input.btcpay_store_id,
          stripe_success_url: input.stripe_success_url,
          remote: { ...VIEW.remote, btcpay: { ready: true, problem: null } },
        };
      },
    });
    render(Settings);
    const relay = (await screen.findByLabelText('Relay address')) as HTMLInputElement;
    await waitFor(() => expect(screen.getByTestId('stripe-ready').getAttribute('title')).toBe('Missing: Stripe API key'));
    expect(screen.getByTestId('stripe-ready').textContent?.trim()).toBe('Stripe: not set up — Missing: Stripe API key');
    expect(screen.getByTestId('btcpay-ready').textContent?.trim()).toBe(
      'BTCPay: not set up — Missing: BTCPay server, Store id, BTCPay API key',
    );
    expect(screen.getByTestId('nowpayments-ready').textContent?.trim()).toBe(
      'NOWPayments: not set up — Missing: NOWPayments API key',
    );
    expect(screen.getByTestId('razorpay-ready').textContent?.trim()).toBe(
      'Razorpay: not set up — Missing: Razorpay key id, Razorpay key secret',
    );
    await fireEvent.input(relay, { target: { value: 'https://relay.shop.example' } });
    await fireEvent.input(screen.getByLabelText('BTCPay server'), { target: { value: 'https://pay.shop.example' } });
    await fireEvent.input(screen.getByLabelText('Store id'), { target: { value: 'Store7' } });
    await fireEvent.input(screen.getByLabelText('Page after paying'), { target: { value: 'https://shop.example/thanks' } });
    await fireEvent.input(screen.getByLabelText('Razorpay key id'), { target: { value: 'rzp_test_1DP5mm' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(calls.of('save_settings')).toHaveLength(1));
    expect(calls.of('save_settings')[0]?.args).toMatchObject({
      input: {
        relay_url: 'https://relay.shop.example',
        stripe_api_url: '',
        stripe_success_url: 'https://shop.example/thanks',
        btcpay_url: 'https://pay.shop.example',
        btcpay_store_id: 'Store7',
        nowpayments_ipn_url: '',
        razorpay_key_id: 'rzp_test_1DP5mm',
      },
    });
    await waitFor(() => expect(screen.getByTestId('btcpay-ready').textContent?.trim()).toBe('BTCPay: ready'));
    expect(relay.value).toBe('https://relay.shop.example');
  });

  it('says what a remote service still needs in the screen\'s language, or core\'s reason', async () => {
    setLocale('hi');
    try {
      mockShop({
        settings: () => ({
          ...VIEW,
          relay_url: 'https://relay.shop.example',
          btcpay_url_from_env: true,
          stripe_key_set: true,
          remote: { ...VIEW.remote, stripe: { ready: false, problem: 'stripe is not configured: URL "x": not http(s)' } },
        }),
      });
      render(Settings);
      await waitFor(() => expect(screen.getByTestId('relay-ready').getAttribute('title')).toBe('भरना बाकी: रिले टोकन'));
      // The server comes from the environment: only the key is missing, and the
      // screen says where the server comes from.
      expect(screen.getByTestId('btcpay-ready').getAttribute('title')).toBe('भरना बाकी: स्टोर आईडी, BTCPay API कुंजी');
      expect(screen.getByTestId('env-CODETILL_BTCPAY_URL').textContent).toBe(
        'इस कंप्यूटर पर CODETILL_BTCPAY_URL सेट है और वही इस्तेमाल होता है।',
      );
      expect(screen.queryByTestId('env-CODETILL_BTCPAY_STORE')).toBeNull();
      // Nothing is missing that the screen knows of: core's own words.
      expect(screen.getByTestId('stripe-ready').getAttribute('title')).toBe('stripe is not configured: URL "x": not http(s)');
    } finally {
      setLocale('en');
    }
  });

  it('stores the Stripe key, relay token and BTCPay key write-only and shows Stripe ready', async () => {
    let view: SettingsView = VIEW;
    const calls = mockShop({
      settings: () => view,
      set_secret: (args) => {
        const set = args.value !== '';
        view = { ...view, [`${String(args.name)}_set`]: set };
        if (args.name === 'stripe_key') view.remote = { ...view.remote, stripe: { ready: set, problem: set ? null : 'no key' } };
        return view;
      },
    });
    render(Settings);
    for (const [name, label, value] of [
      ['stripe_key', 'Stripe API key', 'sk_test_4eC39Hq'],
      ['relay_token', 'Relay token', 'rt_secret_token'],
      ['btcpay_key', 'BTCPay API key', 'btcpay_secret_key'],
      ['nowpayments_key', 'NOWPayments API key', 'np_secret_key'],
      ['razorpay_key_secret', 'Razorpay key secret', 'rzp_secret_value'],
    ] as const) {
      const input = (await screen.findByLabelText(`${label}: New value`)) as HTMLInputElement;
      expect(input.type).toBe('password');
      expect(screen.getByTestId(`${name}-state`).textContent).toBe('Not set');
      await fireEvent.input(input, { target: { value } });
      const store = input.parentElement?.querySelector('button');
      await fireEvent.click(store!);
      await waitFor(() => expect(screen.getByTestId(`${name}-state`).textContent).toBe('Set'));
      expect(input.value).toBe('');
      expect(document.body.innerHTML).not.toContain(value);
    }
    expect(calls.of('set_secret').map((c) => c.args)).toEqual([
      { name: 'stripe_key', value: 'sk_test_4eC39Hq' },
      { name: 'relay_token', value: 'rt_secret_token' },
      { name: 'btcpay_key', value: 'btcpay_secret_key' },
      { name: 'nowpayments_key', value: 'np_secret_key' },
      { name: 'razorpay_key_secret', value: 'rzp_secret_value' },
    ]);
    expect(screen.getByTestId('stripe-ready').textContent?.trim()).toBe('Stripe: ready');
  });

  it('marks the remote sales field core refused', async () => {
    mockShop({
      settings: () => VIEW,
      save_settings: () => {
        throw { code: 'errors.validation', message: 'btcpay_url: btcpay is not configured: URL "pay": relative URL without a base' };
      },
    });
    render(Settings);
    const url = await screen.findByLabelText('BTCPay server');
    await fireEvent.input(url, { target: { value: 'pay' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(url.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByLabelText('Relay address').getAttribute('aria-invalid')).toBe('false');
  });

  it('ends with Updates for the owner and About for anyone signed in', async () => {
    mockShop({ settings: () => VIEW });
    signedIn({ name: 'Meera', role: 'owner' });
    const owner = render(Settings);
    await screen.findByTestId('update-settings');
    expect(screen.getByTestId('about')).toBeTruthy();
    owner.unmount();

    signedIn({ name: 'Ravi', role: 'manager' });
    render(Settings);
    await screen.findByTestId('about');
    expect(screen.queryByTestId('update-settings')).toBeNull();
    signedIn(null);
  });
});

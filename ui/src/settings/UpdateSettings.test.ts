import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { UpdateCheck, UpdateSettings as View } from '../lib/types';
import { mockShop } from '../test/shop';
import UpdateSettings from './UpdateSettings.svelte';

const ON: View = { current: '0.1.0', url: 'https://updates.example/codetill/latest.json', signed_build: true };
const READY: UpdateCheck = { current: '0.1.0', version: '0.2.0', notes: 'Claims on the receipt.\nFaster search.', not_now: null };

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;

describe('Settings → Updates', () => {
  it('starts off: the address is empty and there is nothing to check', async () => {
    const shop = mockShop();
    render(UpdateSettings);
    await waitFor(() => expect(screen.getByTestId('updates-state').textContent).toBe('Updates are off'));
    expect((screen.getByLabelText('Update address (empty: updates off)') as HTMLInputElement).value).toBe('');
    expect(screen.getByTestId('updates-current').textContent).toBe('This version: 0.1.0');
    expect(button('Check for updates').disabled).toBe(true);
    expect(screen.queryByTestId('updates-unsigned')).toBeNull();
    expect(shop.of('check_update')).toHaveLength(0);
  });

  it('saves the address (empty turns updates off again) and shows core’s refusal of one', async () => {
    let url: string | null = null;
    const shop = mockShop({
      set_update_url: (a) => {
        if (typeof a.url === 'string' && a.url.startsWith('http:')) {
          throw { code: 'errors.validation', message: `update URL "${a.url}": http: updates come over https` };
        }
        url = (a.url as string | null) ?? null;
        return { ...ON, url };
      },
    });
    render(UpdateSettings);
    const field = (await screen.findByLabelText('Update address (empty: updates off)')) as HTMLInputElement;
    // Not typed into until the saved address is in.
    await waitFor(() => expect(field.disabled).toBe(false));
    await fireEvent.input(field, { target: { value: 'http://updates.example/latest.json' } });
    await fireEvent.click(button('Save update address'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('updates come over https');
    expect(field.getAttribute('aria-invalid')).toBe('true');

    await fireEvent.input(field, { target: { value: '  https://updates.example/codetill/latest.json ' } });
    await fireEvent.click(button('Save update address'));
    await screen.findByText('Settings saved.');
    expect(screen.getByTestId('updates-state').textContent).toBe('Updates are on');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(button('Check for updates').disabled).toBe(false);

    await fireEvent.input(field, { target: { value: '' } });
    await fireEvent.click(button('Save update address'));
    await waitFor(() => expect(screen.getByTestId('updates-state').textContent).toBe('Updates are off'));
    expect(shop.of('set_update_url').map((c) => c.args)).toEqual([
      { url: 'http://updates.example/latest.json' },
      { url: 'https://updates.example/codetill/latest.json' },
      { url: null },
    ]);
  });

  it('says when this version is the latest', async () => {
    mockShop({ update_settings: () => ON, check_update: () => ({ ...READY, version: null, notes: null }) });
    render(UpdateSettings);
    await waitFor(() => expect(button('Check for updates').disabled).toBe(false));
    await fireEvent.click(button('Check for updates'));
    expect((await screen.findByTestId('updates-latest')).textContent).toBe('You have the latest version (0.1.0)');
    expect(screen.queryByTestId('updates-ready')).toBeNull();
  });

  it('shows an update that is ready with its notes, and installs only after the owner confirms', async () => {
    const shop = mockShop({ update_settings: () => ON, check_update: () => READY, install_update: () => null });
    render(UpdateSettings);
    await waitFor(() => expect(button('Check for updates').disabled).toBe(false));
    await fireEvent.click(button('Check for updates'));
    const ready = await screen.findByTestId('updates-ready');
    expect(ready.textContent).toContain('An update is ready: version 0.2.0');
    expect(screen.getByTestId('updates-notes').textContent).toBe('Claims on the receipt.\nFaster search.');

    // The first click only asks.
    await fireEvent.click(button('Install and restart'));
    const ask = await screen.findByRole('alertdialog');
    expect(ask.textContent).toContain('Install version 0.2.0 and restart codetill now?');
    expect(shop.of('install_update')).toHaveLength(0);
    expect(document.activeElement).toBe(button('Yes, install and restart'));

    // Esc (and "Not now") step back without installing.
    await fireEvent.keyDown(ask, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    await fireEvent.click(button('Install and restart'));
    await fireEvent.click(await screen.findByRole('button', { name: /Not now/ }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(shop.of('install_update')).toHaveLength(0);

    await fireEvent.click(button('Install and restart'));
    await fireEvent.click(await screen.findByRole('button', { name: 'Yes, install and restart' }));
    expect((await screen.findByTestId('updates-installing')).textContent).toBe('Installing version 0.2.0… the app restarts by itself.');
    expect(shop.of('install_update')).toHaveLength(1);
    expect(button('Check for updates').disabled).toBe(true);
  });

  for (const [notNow, reason] of [
    ['shift_open', 'Close this till’s shift first'],
    ['sale_under_way', 'Finish the sale first'],
  ] as const) {
    it(`keeps the install button disabled while ${notNow === 'shift_open' ? 'the shift is open' : 'a sale is under way'}`, async () => {
      const shop = mockShop({ update_settings: () => ON, check_update: () => ({ ...READY, not_now: notNow }) });
      render(UpdateSettings);
      await waitFor(() => expect(button('Check for updates').disabled).toBe(false));
      await fireEvent.click(button('Check for updates'));
      await screen.findByTestId('updates-ready');
      expect(button('Install and restart').disabled).toBe(true);
      expect(screen.getByTestId('updates-not-now').textContent).toBe(reason);
      await fireEvent.click(button('Install and restart'));
      expect(screen.queryByRole('alertdialog')).toBeNull();
      expect(shop.of('install_update')).toHaveLength(0);
    });
  }

  it('shows core’s refusal of the install (the shift opened since the check)', async () => {
    mockShop({
      update_settings: () => ON,
      check_update: () => READY,
      install_update: () => {
        throw { code: 'errors.wrong_state', message: "this till's shift is open: close it, then install" };
      },
    });
    render(UpdateSettings);
    await waitFor(() => expect(button('Check for updates').disabled).toBe(false));
    await fireEvent.click(button('Check for updates'));
    await fireEvent.click(await screen.findByRole('button', { name: 'Install and restart' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Yes, install and restart' }));
    expect((await screen.findByRole('alert')).textContent).toContain("this till's shift is open");
    expect(screen.queryByTestId('updates-installing')).toBeNull();
    expect(button('Install and restart').disabled).toBe(false);
  });

  it('a build with no release key says it cannot update itself and does not check', async () => {
    const shop = mockShop({ update_settings: () => ({ ...ON, signed_build: false }) });
    render(UpdateSettings);
    expect((await screen.findByTestId('updates-unsigned')).textContent).toBe(
      'This build cannot update itself: it carries no release key, so checks are disabled. Install a new version by hand.',
    );
    // An address is set, yet nothing will be asked: updates are off.
    expect(screen.getByTestId('updates-state').textContent).toBe('Updates are off');
    expect(button('Check for updates').disabled).toBe(true);
    await fireEvent.click(button('Check for updates'));
    expect(shop.of('check_update')).toHaveLength(0);
  });

  it('reads in Hindi: ready, the reason it must wait, and the unsigned build', async () => {
    setLocale('hi');
    let signed = true;
    mockShop({ update_settings: () => ({ ...ON, signed_build: signed }), check_update: () => ({ ...READY, not_now: 'shift_open' }) });
    const first = render(UpdateSettings);
    await waitFor(() => expect(screen.getByTestId('updates-state').textContent).toBe('अपडेट चालू हैं'));
    expect(screen.getByLabelText('अपडेट का पता (खाली: अपडेट बंद)')).toBeTruthy();
    await fireEvent.click(button('अपडेट जाँचें'));
    expect((await screen.findByTestId('updates-ready')).textContent).toContain('अपडेट तैयार है: संस्करण 0.2.0');
    expect(button('इंस्टॉल करें और दोबारा शुरू करें').disabled).toBe(true);
    expect(screen.getByTestId('updates-not-now').textContent).toBe('पहले इस टिल की शिफ़्ट बंद करें');
    first.unmount();

    signed = false;
    render(UpdateSettings);
    expect((await screen.findByTestId('updates-unsigned')).textContent).toContain('यह बिल्ड ख़ुद को अपडेट नहीं कर सकता');
  });
});

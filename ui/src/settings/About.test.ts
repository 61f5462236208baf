import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { SupportBundle } from '../lib/types';
import { signedIn } from '../session/session.svelte';
import { mockShop } from '../test/shop';
import About from './About.svelte';

const BUNDLE: SupportBundle = {
  path: '/home/asha/Downloads/codetill-support-20260314-091500.zip',
  files: ['versions.json', 'settings.json', 'state.json', 'logs/codetill.2026-03-14.log'],
  bytes: 49_357,
};

/** A support_bundle that answers when the test says so. */
function slowBundle() {
  let done: (b: SupportBundle) => void = () => {};
  const answer = new Promise<SupportBundle>((r) => (done = r));
  return { answer, finish: (b: SupportBundle) => done(b) };
}

afterEach(() => {
  signedIn(null);
  vi.unstubAllGlobals();
});

describe('Settings → About', () => {
  it('shows the version and both folders, selectable, with how long logs are kept', async () => {
    signedIn({ name: 'Asha', role: 'cashier' });
    mockShop();
    render(About);
    await waitFor(() => expect(screen.getByTestId('about-version').textContent).toBe('0.1.0'));
    const data = screen.getByLabelText('Shop data folder') as HTMLInputElement;
    const logs = screen.getByLabelText('Log folder') as HTMLInputElement;
    expect(data.value).toBe('/home/asha/.local/share/codetill');
    expect(logs.value).toBe('/home/asha/.local/share/codetill/logs');
    expect(data.readOnly && logs.readOnly).toBe(true);
    expect(screen.getByTestId('about-keep').textContent).toBe('One log file a day; the last 14 days are kept.');
    // A cashier sees where things are, not the bundle's button.
    expect(screen.queryByRole('button', { name: 'Write a support bundle' })).toBeNull();
    expect(screen.getByTestId('bundle-manager').textContent).toBe('A manager or the owner writes the support bundle.');
  });

  it('copies a folder’s path to the clipboard', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    signedIn({ name: 'Meera', role: 'owner' });
    mockShop();
    render(About);
    await fireEvent.click(await screen.findByTestId('about-logs-copy'));
    expect(writeText).toHaveBeenCalledWith('/home/asha/.local/share/codetill/logs');
    expect((await screen.findByText('Copied')).getAttribute('role')).toBe('status');
  });

  it('writes a support bundle, busy while it runs, then says where, how big and what it holds', async () => {
    signedIn({ name: 'Ravi', role: 'manager' });
    const slow = slowBundle();
    const shop = mockShop({ support_bundle: () => slow.answer });
    render(About);
    const write = (await screen.findByRole('button', { name: 'Write a support bundle' })) as HTMLButtonElement;
    await fireEvent.click(write);
    expect((await screen.findByTestId('bundle-busy')).textContent).toBe('Writing the support bundle…');
    expect(write.disabled).toBe(true);
    expect(write.getAttribute('aria-busy')).toBe('true');
    // A second press while it runs asks for no second bundle.
    await fireEvent.click(write);
    expect(shop.of('support_bundle')).toHaveLength(1);

    slow.finish(BUNDLE);
    const done = await screen.findByTestId('bundle-done');
    expect(screen.queryByTestId('bundle-busy')).toBeNull();
    expect(write.disabled).toBe(false);
    expect(done.textContent).toContain('Support bundle written');
    expect((screen.getByLabelText('Saved as') as HTMLInputElement).value).toBe(BUNDLE.path);
    expect(screen.getByTestId('bundle-size').textContent).toBe('48.2 KB');
    expect(done.textContent).toContain('It holds 4 files');
    const files = [...screen.getByTestId('bundle-files').querySelectorAll('li')].map((li) => li.textContent);
    expect(files).toEqual(BUNDLE.files);
  });

  it('shows a refused bundle as an error, in the shop’s words and core’s', async () => {
    signedIn({ name: 'Ravi', role: 'manager' });
    mockShop({
      support_bundle: () => {
        throw { code: 'errors.file', message: 'cannot write /home/asha/Downloads/codetill-support.zip: disk full' };
      },
    });
    render(About);
    await fireEvent.click(await screen.findByRole('button', { name: 'Write a support bundle' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('disk full');
    expect(screen.queryByTestId('bundle-done')).toBeNull();
  });

  it('reads in Hindi, sizes in megabytes too', async () => {
    setLocale('hi');
    signedIn({ name: 'Meera', role: 'owner' });
    mockShop({ support_bundle: () => ({ ...BUNDLE, bytes: 3_250_000 }) });
    render(About);
    await screen.findByText('codetill के बारे में');
    expect(((await screen.findByLabelText('दुकान का डेटा फ़ोल्डर')) as HTMLInputElement).value).toBe('/home/asha/.local/share/codetill');
    expect(screen.getByLabelText('लॉग फ़ोल्डर')).toBeTruthy();
    expect(screen.getByTestId('about-keep').textContent).toBe('हर दिन एक लॉग फ़ाइल; पिछले 14 दिनों की रखी जाती हैं।');
    await fireEvent.click(screen.getByRole('button', { name: 'सपोर्ट बंडल बनाएँ' }));
    await screen.findByText('सपोर्ट बंडल बन गया');
    expect(screen.getByTestId('bundle-size').textContent).toBe('3.1 एमबी');
    expect(screen.getByTestId('bundle-done').textContent).toContain('इसमें 4 फ़ाइलें हैं');
  });
});

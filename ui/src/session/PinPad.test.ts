import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SignIn } from '../lib/types';
import { mockShop } from '../test/shop';
import PinPad from './PinPad.svelte';

/** The backend's PIN check: 1234 is Meera's; a wrong PIN counts down to a lock. */
function backend(answers: SignIn[] = []) {
  return mockShop({
    sign_in: (args) => {
      if (args.pin === '1234') return { outcome: 'signed_in', session: { name: 'Meera', role: 'owner' } };
      return answers.shift() ?? { outcome: 'wrong_pin', left: 4 };
    },
  });
}

const key = (k: string) => fireEvent.keyDown(window, { key: k });
const dots = () => screen.getByTestId('pin-dots').querySelectorAll('.dot.on').length;

describe('the PIN pad', () => {
  afterEach(() => vi.useRealTimers());

  it('takes digits from the keyboard, Backspace takes one back, Enter signs in', async () => {
    const shop = backend();
    const onsignedin = vi.fn();
    render(PinPad, { onsignedin });
    for (const k of ['1', '2', '3', '9']) await key(k);
    expect(dots()).toBe(4);
    await key('Backspace');
    expect(dots()).toBe(3);
    await key('4');
    await key('Enter');
    await waitFor(() => expect(onsignedin).toHaveBeenCalledWith({ name: 'Meera', role: 'owner' }));
    expect(shop.of('sign_in').map((c) => c.args.pin)).toEqual(['1234']);
  });

  it('takes clicks on its keys too, and says how many tries are left after a wrong PIN', async () => {
    const shop = backend([{ outcome: 'wrong_pin', left: 3 }]);
    const onsignedin = vi.fn();
    render(PinPad, { onsignedin });
    for (const k of ['5', '5', '5', '5']) await fireEvent.click(screen.getByRole('button', { name: k }));
    await fireEvent.click(screen.getByRole('button', { name: 'Enter' }));
    expect((await screen.findByTestId('pin-wrong')).textContent).toContain('3 more tries');
    expect(dots()).toBe(0);
    expect(onsignedin).not.toHaveBeenCalled();
    expect(shop.of('sign_in')[0]?.args.pin).toBe('5555');
  });

  it('counts the lock-out down and takes no PIN until it ends', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const shop = backend([{ outcome: 'locked', who: 'the PIN pad', seconds: 3 }]);
    render(PinPad, { onsignedin: vi.fn() });
    for (const k of ['9', '9', '9', '9', 'Enter']) await key(k);
    const lockout = await screen.findByTestId('pin-lockout');
    expect(lockout.textContent).toContain('the PIN pad is locked');
    expect(lockout.textContent).toContain('3 s');
    expect((screen.getByRole('button', { name: '1' }) as HTMLButtonElement).disabled).toBe(true);
    await key('1');
    expect(dots()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(screen.getByTestId('pin-lockout').textContent).toContain('2 s');
    await vi.advanceTimersByTimeAsync(2100);
    await waitFor(() => expect(screen.queryByTestId('pin-lockout')).toBeNull());
    await key('1');
    expect(dots()).toBe(1);
    expect(shop.of('sign_in')).toHaveLength(1);
  });

  it('shows the wrong-PIN message in Hindi', async () => {
    const { setLocale } = await import('../lib/i18n/index.svelte');
    setLocale('hi');
    backend([{ outcome: 'wrong_pin', left: 2 }]);
    render(PinPad, { onsignedin: vi.fn() });
    expect(screen.getByRole('heading').textContent).toBe('साइन इन करें');
    for (const k of ['5', '5', '5', '5', 'Enter']) await key(k);
    expect((await screen.findByTestId('pin-wrong')).textContent).toContain('गलत पिन');
  });
});

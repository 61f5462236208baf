import { afterEach, describe, expect, it, vi } from 'vitest';
import { mockShop } from '../test/shop';
import { holdLock, loadSession, session, used, watchIdle } from './session.svelte';

describe('the idle lock', () => {
  afterEach(() => vi.useRealTimers());

  it('locks after the owner’s minutes without use, and use counts them again', async () => {
    vi.useFakeTimers();
    const shop = mockShop({ session_state: () => ({ needs_owner: false, session: { name: 'Asha', role: 'cashier' }, idle_lock_minutes: 2 }) });
    await loadSession();
    const stop = watchIdle(1000);
    await vi.advanceTimersByTimeAsync(90_000);
    used();
    await vi.advanceTimersByTimeAsync(90_000);
    expect(session.who?.name).toBe('Asha');
    expect(shop.of('lock')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(31_000);
    expect(session.who).toBeNull();
    expect(shop.of('lock')).toHaveLength(1);
    stop();
  });

  it('tells the backend now and then that the till is in use', async () => {
    vi.useFakeTimers();
    const shop = mockShop();
    await loadSession();
    used();
    used();
    await vi.advanceTimersByTimeAsync(31_000);
    used();
    await vi.advanceTimersByTimeAsync(10);
    expect(shop.of('touch_session').length).toBe(2);
  });

  it('does not lock in the middle of a sale waiting on the supplier', async () => {
    vi.useFakeTimers();
    const shop = mockShop({ session_state: () => ({ needs_owner: false, session: { name: 'Asha', role: 'cashier' }, idle_lock_minutes: 1 }) });
    await loadSession();
    const stop = watchIdle(1000);
    let done: (v: string) => void = () => {};
    const sale = holdLock(new Promise<string>((r) => (done = r)));
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(session.who?.name).toBe('Asha');
    done('ORD-000042');
    expect(await sale).toBe('ORD-000042');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(session.who?.name, 'the idle time counts from the end of the sale').toBe('Asha');
    await vi.advanceTimersByTimeAsync(31_000);
    expect(session.who).toBeNull();
    expect(shop.of('lock')).toHaveLength(1);
    stop();
  });
});

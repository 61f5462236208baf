import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLEAR_AFTER_MS, clearLater, copyText } from './clipboard';

/** A clipboard that holds one text. */
function board(initial = '') {
  let text = initial;
  return {
    readText: vi.fn(async () => text),
    writeText: vi.fn(async (t: string) => {
      text = t;
    }),
    get text() {
      return text;
    },
  };
}

describe('a copied code leaves the clipboard', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is wiped after 30 s when the clipboard still holds it', async () => {
    const cb = board('AAAAA-BBBBB-CCCCC');
    clearLater('AAAAA-BBBBB-CCCCC', cb as unknown as Clipboard);
    await vi.advanceTimersByTimeAsync(CLEAR_AFTER_MS - 1);
    expect(cb.text).toBe('AAAAA-BBBBB-CCCCC');
    await vi.advanceTimersByTimeAsync(1);
    expect(cb.text).toBe('');
  });

  it('is left alone once something else was copied', async () => {
    const cb = board('AAAAA-BBBBB-CCCCC');
    clearLater('AAAAA-BBBBB-CCCCC', cb as unknown as Clipboard);
    await cb.writeText('an address the cashier copied');
    await vi.advanceTimersByTimeAsync(CLEAR_AFTER_MS);
    expect(cb.text).toBe('an address the cashier copied');
  });

  it('a clipboard that cannot be read is not wiped blind', async () => {
    const cb = board('AAAAA-BBBBB-CCCCC');
    cb.readText.mockRejectedValue(new Error('not allowed'));
    clearLater('AAAAA-BBBBB-CCCCC', cb as unknown as Clipboard);
    await vi.advanceTimersByTimeAsync(CLEAR_AFTER_MS);
    expect(cb.writeText).not.toHaveBeenCalled();
  });
});

describe('a path copied', () => {
  it('goes to the clipboard as it is, and is never wiped', async () => {
    vi.useFakeTimers();
    const cb = board();
    expect(await copyText('/home/asha/.local/share/codetill', null, cb as unknown as Clipboard)).toBe(true);
    expect(cb.text).toBe('/home/asha/.local/share/codetill');
    await vi.advanceTimersByTimeAsync(CLEAR_AFTER_MS * 2);
    expect(cb.text).toBe('/home/asha/.local/share/codetill');
    vi.useRealTimers();
  });

  it('a clipboard that refuses leaves the field’s text selected for Ctrl+C', async () => {
    const refusing = { writeText: vi.fn(async () => Promise.reject(new Error('denied'))) };
    const field = document.createElement('input');
    field.value = '/data/logs';
    document.body.append(field);
    const select = vi.spyOn(field, 'select');
    await copyText('/data/logs', field, refusing as unknown as Clipboard);
    expect(select).toHaveBeenCalled();
    expect(await copyText('/data/logs', null, refusing as unknown as Clipboard)).toBe(false);
    field.remove();
  });
});

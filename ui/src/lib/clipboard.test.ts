import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLEAR_AFTER_MS, clearLater } from './clipboard';

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

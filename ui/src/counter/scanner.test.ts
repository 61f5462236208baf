import { describe, expect, it } from 'vitest';
import { MIN_SCAN, SCAN_GAP_MS, ScanBuffer } from './scanner';

function typeAt(buffer: ScanBuffer, text: string, start: number, gap: number, field: HTMLInputElement | null = null) {
  [...text].forEach((ch, i) => buffer.key(ch, start + i * gap, field));
  return start + (text.length - 1) * gap;
}

describe('telling a scan from typing', () => {
  it('takes a fast burst ending in Enter for a scan, with the field as it was before', () => {
    const field = document.createElement('input');
    field.value = '20';
    const b = new ScanBuffer();
    const last = typeAt(b, 'STEAM-US-20', 1000, 8, field);
    expect(b.enter(last + 10)).toEqual({ text: 'STEAM-US-20', field, before: '20' });
    // Used up: the next Enter is a person's.
    expect(b.enter(last + 20)).toBeNull();
  });

  it('leaves a person typing alone: slow keys, a short code, or a late Enter', () => {
    const b = new ScanBuffer();
    expect(b.enter(typeAt(b, 'STEAM', 0, SCAN_GAP_MS + 60) + 5)).toBeNull();
    expect(b.enter(typeAt(b, 'a'.repeat(MIN_SCAN - 1), 5000, 5) + 5)).toBeNull();
    expect(b.enter(typeAt(b, 'JIO-IN-239', 9000, 5) + 500)).toBeNull();
  });

  it('starts again when a pause splits the keys: only the fast tail counts', () => {
    const b = new ScanBuffer();
    const slow = typeAt(b, 'xy', 0, 200);
    const last = typeAt(b, 'WIN11-PRO', slow + 500, 6);
    expect(b.enter(last + 6)?.text).toBe('WIN11-PRO');
  });
});

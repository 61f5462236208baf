import { describe, expect, it } from 'vitest';
import { counterKey, type CounterState } from './keys';

const shop: CounterState = { stage: 'shop', chosen: false, quoted: false, method: 'cash', inSearch: true, focused: null };
const key = (k: string, target: EventTarget | null = null) => {
  const e = new KeyboardEvent('keydown', { key: k });
  if (target) Object.defineProperty(e, 'target', { value: target });
  return e;
};

describe('the counter keys', () => {
  it('hold Enter, Esc and the F keys while a sale is under way, and nothing else', () => {
    for (const stage of ['ordering', 'linking'] as const) {
      expect(counterKey(key('Enter'), { ...shop, stage })).toBe('hold');
      expect(counterKey(key('F2'), { ...shop, stage })).toBe('hold');
      expect(counterKey(key('a'), { ...shop, stage })).toBe('ignore');
    }
  });

  it('leave the delivery screen with Enter, Esc or F2, but leave a field its own keys', () => {
    const delivered = { ...shop, stage: 'delivered' as const, focused: document.body };
    expect(counterKey(key('Enter'), delivered)).toBe('next-sale');
    expect(counterKey(key('Enter'), { ...delivered, focused: document.createElement('button') })).toBe('ignore');
    const field = document.createElement('input');
    expect(counterKey(key('Escape', field), delivered)).toBe('ignore');
    expect(counterKey(key('F2', field), delivered)).toBe('next-sale');
  });

  it('choose how to pay only once a quote is live', () => {
    expect(counterKey(key('F4'), shop)).toBe('ignore');
    expect(counterKey(key('F4'), { ...shop, chosen: true, quoted: true })).toBe('card');
    expect(counterKey(key('F5'), { ...shop, chosen: true, quoted: true })).toBe('remote');
  });

  it('go back one step with Esc: remote form, quote, search', () => {
    const quoted = { ...shop, chosen: true, quoted: true, inSearch: false };
    expect(counterKey(key('Escape'), { ...quoted, method: 'remote' })).toBe('cash');
    expect(counterKey(key('Escape'), quoted)).toBe('close-quote');
    expect(counterKey(key('Escape'), { ...quoted, inSearch: true })).toBe('clear');
  });

  it('send a printable key with no field to take it into the search box', () => {
    expect(counterKey(key('s'), { ...shop, inSearch: false, focused: document.body })).toBe('type');
    expect(counterKey(key(' '), { ...shop, inSearch: false, focused: document.createElement('button') })).toBe('ignore');
  });

  it('change the basket outside the search box: + - in the cash field, Delete once a field is empty', () => {
    const basket = { ...shop, chosen: true, quoted: true, inSearch: false, lines: 2, focused: document.body };
    expect(counterKey(key('+'), basket)).toBe('more');
    expect(counterKey(key('-'), basket)).toBe('less');
    expect(counterKey(key('ArrowDown'), basket)).toBe('line-down');
    expect(counterKey(key('Delete'), basket)).toBe('remove-line');
    const cash = document.createElement('input');
    cash.setAttribute('inputmode', 'decimal');
    expect(counterKey(key('+'), { ...basket, focused: cash })).toBe('more');
    expect(counterKey(key('Delete'), { ...basket, focused: cash })).toBe('remove-line');
    cash.value = '200';
    expect(counterKey(key('Delete'), { ...basket, focused: cash })).toBe('ignore');
    // A sku holds "-": in the search box, or a text field, it is typed.
    expect(counterKey(key('-'), { ...basket, inSearch: true, focused: document.createElement('input') })).toBe('ignore');
    expect(counterKey(key('-'), { ...basket, focused: document.createElement('input') })).toBe('ignore');
    expect(counterKey(key('+'), { ...basket, lines: 0 })).toBe('type');
  });

  it('open the drawer with Ctrl+D only on a till that has one', () => {
    const ctrlD = new KeyboardEvent('keydown', { key: 'd', ctrlKey: true });
    expect(counterKey(ctrlD, { ...shop, drawer: true })).toBe('drawer');
    expect(counterKey(ctrlD, shop)).toBe('ignore');
  });

  it('leave the basket\'s screen like the delivery screen', () => {
    expect(counterKey(key('Escape'), { ...shop, stage: 'basket', focused: document.body })).toBe('next-sale');
  });
});

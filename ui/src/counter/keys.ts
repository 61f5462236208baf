// The counter's keys, wherever the focus is: what a key does at each stage of a sale.
// Counter.svelte carries the answer out; the search box's own arrows and Enter, and the
// delivery screen's letter keys (C, P, E, R), live in their components. The basket's
// keys (+, -, Delete, ↑ ↓ between lines) act outside the search box, whose text may
// well hold a "-" (skus do); a barcode scan is told apart in scanner.ts.

import { takesKeys, typingIn } from '../lib/typing';
import type { PayMethod, Stage } from './sale.svelte';

export type CounterKey =
  /** Not the counter's key: the browser or the focused element has it. */
  | 'ignore'
  /** Swallowed: a sale under way may not be interrupted or repeated. */
  | 'hold'
  /** Leave the delivery screen, a claim, the slip or the payment link: a fresh counter. */
  | 'next-sale'
  /** Back to the search box, its text selected (F2). */
  | 'search'
  /** Pay this way (F3, F4, F5; Esc leaves the remote form for cash). */
  | PayMethod
  /** Close the quote, back to the results (Esc). */
  | 'close-quote'
  /** Empty the search (Esc in the search box). */
  | 'clear'
  /** A printable key with no field to take it: into the search box (a scanner needs no click). */
  | 'type'
  /** One more, or one less, of the selected basket line (+, -). */
  | 'more'
  | 'less'
  /** The selected line leaves the basket (Delete). */
  | 'remove-line'
  /** Select the line above or below (↑ ↓ outside the search box). */
  | 'line-up'
  | 'line-down'
  /** Open the cash drawer with no sale (Ctrl+D), when the till has one. */
  | 'drawer';

export interface CounterState {
  stage: Stage['kind'];
  /** A product is on the quote panel. */
  chosen: boolean;
  /** Its live quote is shown, with the payment form. */
  quoted: boolean;
  method: PayMethod;
  /** The search box has the focus. */
  inSearch: boolean;
  /** The focused element (document.activeElement). */
  focused: Element | null;
  /** Lines in the basket (none: no product chosen). */
  lines?: number;
  /** The till opens a cash drawer. */
  drawer?: boolean;
}

/** The cash field (or an amount field): "+" and "-" are no amounts, so they are the basket's there. */
function amountField(el: Element | null): boolean {
  return el instanceof HTMLInputElement && el.getAttribute('inputmode') === 'decimal';
}

/** What `e` does on the counter now; every answer but ignore and type prevents the default. */
export function counterKey(e: KeyboardEvent, s: CounterState): CounterKey {
  if (s.stage === 'ordering' || s.stage === 'linking') {
    return e.key === 'Enter' || e.key === 'Escape' || e.key.startsWith('F') ? 'hold' : 'ignore';
  }
  if (s.stage === 'delivered' || s.stage === 'basket' || s.stage === 'claim' || s.stage === 'problem' || s.stage === 'remote') {
    // A field on the delivery screen (the email address) keeps its Enter and Esc —
    // judged by the event's target, as that Esc may already have closed the field.
    if (typingIn(e.target) && e.key !== 'F2') return 'ignore';
    const next = e.key === 'Escape' || e.key === 'F2' || (e.key === 'Enter' && !(s.focused instanceof HTMLButtonElement));
    return next ? 'next-sale' : 'ignore';
  }
  if (e.key === 'F2') return 'search';
  if (e.ctrlKey && !e.altKey && !e.metaKey && (e.key === 'd' || e.key === 'D')) return s.drawer ? 'drawer' : 'ignore';
  const lines = s.lines ?? 0;
  if (lines > 0 && !s.inSearch && !e.ctrlKey && !e.altKey && !e.metaKey) {
    const free = !typingIn(s.focused) || amountField(s.focused);
    if ((e.key === '+' || e.key === '-') && free) return e.key === '+' ? 'more' : 'less';
    if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && free && lines > 1) {
      return e.key === 'ArrowUp' ? 'line-up' : 'line-down';
    }
    // In a field, Delete is the field's own until the field is empty.
    const empty = !(s.focused instanceof HTMLInputElement) || s.focused.value === '';
    if (e.key === 'Delete' && (!typingIn(s.focused) || empty)) return 'remove-line';
  }
  if ((e.key === 'F3' || e.key === 'F4' || e.key === 'F5') && s.quoted) {
    return e.key === 'F3' ? 'cash' : e.key === 'F4' ? 'card' : 'remote';
  }
  if (e.key === 'Escape') {
    // Back from the remote form to the counter's own payment, then from the quote to
    // the results, then an empty search.
    if (s.method === 'remote' && s.quoted && !s.inSearch) return 'cash';
    if (s.chosen && !s.inSearch) return 'close-quote';
    return 'clear';
  }
  if (e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey && !takesKeys(s.focused)) return 'type';
  return 'ignore';
}

// The counter's keys, wherever the focus is: what a key does at each stage of a sale.
// Counter.svelte carries the answer out; the search box's own arrows and Enter, and the
// delivery screen's letter keys (C, P, E, R), live in their components.

import { takesKeys, typingIn } from '../lib/typing';
import type { PayMethod, Stage } from './sale.svelte';

export type CounterKey =
  /** Not the counter's key: the browser or the focused element has it. */
  | 'ignore'
  /** Swallowed: a sale under way may not be interrupted or repeated. */
  | 'hold'
  /** Leave the delivery screen, the slip or the payment link: a fresh counter. */
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
  | 'type';

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
}

/** What `e` does on the counter now; every answer but ignore and type prevents the default. */
export function counterKey(e: KeyboardEvent, s: CounterState): CounterKey {
  if (s.stage === 'ordering' || s.stage === 'linking') {
    return e.key === 'Enter' || e.key === 'Escape' || e.key.startsWith('F') ? 'hold' : 'ignore';
  }
  if (s.stage === 'delivered' || s.stage === 'problem' || s.stage === 'remote') {
    // A field on the delivery screen (the email address) keeps its Enter and Esc —
    // judged by the event's target, as that Esc may already have closed the field.
    if (typingIn(e.target) && e.key !== 'F2') return 'ignore';
    const next = e.key === 'Escape' || e.key === 'F2' || (e.key === 'Enter' && !(s.focused instanceof HTMLButtonElement));
    return next ? 'next-sale' : 'ignore';
  }
  if (e.key === 'F2') return 'search';
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

// The face value typed for an open-amount product: checked at the counter against the
// product's bounds before the supplier is asked (core checks it again).

import { compare, parseDecimal, scaleOf, toPlain } from '../lib/decimal';
import type { Money, Product } from '../lib/types';

export type AmountCheck =
  | { ok: true; amount: string }
  | { ok: false; reason: 'empty' | 'not_a_number' | 'out_of_bounds'; min: Money; max: Money };

/** The product sells at an amount the buyer chooses (within its bounds). */
export function isOpenAmount(p: Product | null): boolean {
  return !!p?.open_amount;
}

/**
 * `text` as a face value for `p`: a plain decimal within [min, max], with no more
 * decimals than the face currency's amounts carry. Answers the amount as core takes
 * it ("25.00"), or why not, with the bounds to show.
 */
export function checkAmount(text: string, p: Product): AmountCheck {
  const open = p.open_amount;
  if (!open) return { ok: true, amount: '' };
  const { min, max } = open;
  const no = (reason: 'empty' | 'not_a_number' | 'out_of_bounds'): AmountCheck => ({ ok: false, reason, min, max });
  if (text.trim() === '') return no('empty');
  const d = parseDecimal(text);
  const scale = scaleOf(min.amount);
  if (!d || d.scale > scale) return no('not_a_number');
  const lo = parseDecimal(min.amount);
  const hi = parseDecimal(max.amount);
  if (!lo || !hi) return no('not_a_number');
  if (compare(d, lo) < 0 || compare(d, hi) > 0) return no('out_of_bounds');
  return { ok: true, amount: toPlain(d, scale) };
}

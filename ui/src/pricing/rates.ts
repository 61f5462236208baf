// How old a rate is, in the screen's words: the pricing screen shows each rate's age
// beside its source.

import { t } from '../lib/i18n/index.svelte';
import type { RateView } from '../lib/types';

/** "today", "yesterday", "N days old" (with the rate's day). */
export function rateAge(r: Pick<RateView, 'age_days' | 'as_of'>): string {
  const age = r.age_days <= 0 ? t('rates.age.today') : r.age_days === 1 ? t('rates.age.yesterday') : t('rates.age.days', { count: r.age_days });
  return `${age} (${r.as_of})`;
}

/** The hour of the daily sync as the select shows it ("03:00"); '' when off. */
export function hourLabel(hour: number | null): string {
  return hour === null ? '' : `${String(hour).padStart(2, '0')}:00`;
}

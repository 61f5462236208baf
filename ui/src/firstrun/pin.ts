// A PIN typed twice, checked before it is sent (core checks it again): 4 to 8
// digits, the same both times. The answer is the message to show, or null.
import { t } from '../lib/i18n/index.svelte';

export function pinProblem(pin: string, again: string): string | null {
  if (!/^[0-9]{4,8}$/.test(pin)) return t('owner.pin_digits');
  if (pin !== again) return t('owner.pin_mismatch');
  return null;
}

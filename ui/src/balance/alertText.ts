// An alert's sentence in the UI's language. Core keeps each alert's figures as
// `facts` (amounts as decimal strings with their currency); the English `message`
// is what shows for an alert stored without them, or of a shape this UI cannot word.

import { formatMoney, formatPercent, t, type MessageKey } from '../lib/i18n/index.svelte';
import type { Alert } from '../lib/types';

type Facts = Record<string, unknown>;

const text = (f: Facts, name: string): string | null => {
  const v = f[name];
  return typeof v === 'string' && v !== '' ? v : null;
};

const money = (f: Facts, name: string): string | null => {
  const amount = text(f, name);
  const currency = text(f, 'currency');
  return amount && currency ? formatMoney({ amount, currency }) : null;
};

/** The sentence and the params its template needs, or null if any is missing. */
function worded(a: Alert, f: Facts): [MessageKey, Record<string, string | number>] | null {
  const all = (params: Record<string, string | number | null>) =>
    Object.values(params).every((v) => v !== null) ? (params as Record<string, string | number>) : null;
  const order = text(f, 'order');
  switch (a.kind) {
    case 'balance_low': {
      const balance = money(f, 'balance');
      if (f.below === 'threshold') {
        const p = all({ balance, threshold: money(f, 'threshold') });
        return p && ['alerts.text.balance_low.threshold', p];
      }
      const p = all({ balance, spend: money(f, 'spend') });
      return p && ['alerts.text.balance_low.spend', p];
    }
    case 'supplier_unreachable':
      return ['alerts.text.supplier_unreachable', {}];
    case 'price_drift': {
      const pct = text(f, 'pct');
      const p = all({
        count: typeof f.count === 'number' ? f.count : null,
        sku: text(f, 'sku'),
        pct: pct && formatPercent(pct, true),
      });
      return p && ['alerts.text.price_drift', p];
    }
    case 'order_failed': {
      const p = all({ order, name: text(f, 'name') });
      return p && ['alerts.text.order_failed', p];
    }
    case 'refund_due': {
      const p = all({ order, name: text(f, 'name'), price: money(f, 'price') });
      return p && ['alerts.text.refund_due', p];
    }
    case 'email_failed': {
      const p = all({ order, destination: text(f, 'destination') });
      return p && ['alerts.text.email_failed', p];
    }
    case 'print_failed': {
      const p = all({ order });
      return p && ['alerts.text.print_failed', p];
    }
    case 'payment_held': {
      const p = all({ event: text(f, 'event'), provider: text(f, 'provider') });
      return p && ['alerts.text.payment_held', p];
    }
    case 'fx_stale': {
      const p = all({
        from: text(f, 'from'),
        to: text(f, 'to'),
        days: typeof f.days === 'number' ? f.days : null,
      });
      return p && ['alerts.text.fx_stale', p];
    }
    case 'sync_failed':
      return ['alerts.text.sync_failed', {}];
    case 'reconcile_discrepancy': {
      const n = (name: string) => (typeof f[name] === 'number' ? (f[name] as number) : null);
      const p = all({
        count: n('count'),
        charged: n('charged_not_delivered'),
        missing: n('delivered_not_charged'),
        amounts: n('amount_mismatch'),
        balance: n('balance_unexplained'),
      });
      return p && ['alerts.text.reconcile_discrepancy', p];
    }
    case 'refund_rate': {
      const num = (name: string) => (typeof f[name] === 'number' ? (f[name] as number) : null);
      const pct = text(f, 'pct');
      const p = all({
        refunded: num('refunded'),
        paid: num('paid'),
        days: num('days'),
        pct: pct && formatPercent(pct, false),
      });
      return p && ['alerts.text.refund_rate', p];
    }
    default:
      return null;
  }
}

/** What went wrong underneath (the supplier's, the mail server's or the check's own
 * words, in English as they came), shown after the sentence. */
function reason(f: Facts): string | null {
  return text(f, 'reason') ?? text(f, 'error');
}

export function alertText(a: Alert): string {
  const f = a.facts;
  if (!f || typeof f !== 'object') return a.message;
  const sentence = worded(a, f as Facts);
  if (!sentence) return a.message;
  const why = reason(f as Facts);
  const main = t(sentence[0], sentence[1]);
  return why ? `${main} ${t('alerts.text.reason', { reason: why })}` : main;
}

/** An alert's name in the UI's language (a desktop notification's title); an alert
 * of a kind this UI does not know is named "codetill". */
export function alertTitle(a: Alert): string {
  const key = `alerts.kind.${a.kind}` as MessageKey;
  const title = t(key);
  return title === key ? 'codetill' : title;
}

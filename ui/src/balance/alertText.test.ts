import { afterEach, describe, expect, it } from 'vitest';

import { setLocale } from '../lib/i18n/index.svelte';
import type { Alert, AlertKind } from '../lib/types';
import { alertText } from './alertText';

const alert = (kind: AlertKind, facts: Record<string, unknown> | null, message = 'english'): Alert => ({
  id: 1,
  kind,
  message,
  facts,
  order_ref: null,
  created_at: '2026-03-14T09:00:00.000Z',
  state: 'open',
});

afterEach(() => setLocale('en'));

describe('an alert in the shop’s language', () => {
  it('words every kind from its facts, in English and Hindi', () => {
    const cases: [Alert, string, string][] = [
      [
        alert('balance_low', { below: 'threshold', threshold: '20000.00', balance: '18250.00', currency: 'INR' }),
        'The supplier balance ₹18,250.00 is below the alert threshold ₹20,000.00. Top up the supplier account.',
        'सप्लायर बैलेंस ₹18,250.00 अलर्ट सीमा ₹20,000.00 से कम है। सप्लायर खाते में पैसे डालें।',
      ],
      [
        alert('supplier_unreachable', { error: 'connection refused' }),
        'The supplier cannot be reached. Sales are refused until it answers. Reason: connection refused',
        'सप्लायर से संपर्क नहीं हो पा रहा। जवाब मिलने तक बिक्री रुकी है। कारण: connection refused',
      ],
      [
        alert('price_drift', { count: 37, sku: 'STEAM-US-20', pct: '4.7' }),
        'The last catalog sync moved 37 wholesale price(s) by more than 3% (largest: STEAM-US-20 +4.7%). Check your margins.',
        'पिछले कैटलॉग सिंक में 37 थोक कीमतें 3% से ज़्यादा बदलीं (सबसे ज़्यादा: STEAM-US-20 +4.7%)। अपने मार्जिन जाँचें।',
      ],
      [
        alert('refund_due', { order: 'ORD-000043', name: 'Jio 239', price: '239.00', currency: 'INR', reason: 'out of stock' }),
        'ORD-000043 Jio 239: the supplier refused after payment. Give ₹239.00 back and record the refund on the Orders screen. Reason: out of stock',
        'ORD-000043 Jio 239: भुगतान के बाद सप्लायर ने मना कर दिया। ₹239.00 वापस करें और ऑर्डर स्क्रीन पर रिफ़ंड दर्ज करें। कारण: out of stock',
      ],
      [
        alert('order_failed', { order: 'ORD-000044', name: 'Steam 20', price: '21.99', currency: 'USD', reason: null }),
        'ORD-000044 Steam 20: the supplier order failed.',
        'ORD-000044 Steam 20: सप्लायर ऑर्डर विफल हुआ।',
      ],
      [
        alert('email_failed', { order: 'ORD-000045', destination: 'a@b.example', error: '550 no such user' }),
        'The email to a@b.example for ORD-000045 was not sent. Reason: 550 no such user',
        'ORD-000045 का ईमेल a@b.example पर नहीं भेजा जा सका। कारण: 550 no such user',
      ],
      [
        alert('print_failed', { order: 'ORD-000046', destination: 'tcp://10.0.0.5:9100', error: 'refused' }),
        'The receipt for ORD-000046 was not printed. Reason: refused',
        'ORD-000046 की रसीद प्रिंट नहीं हुई। कारण: refused',
      ],
      [
        alert('payment_held', { provider: 'stripe', event: 'evt_1', reason: 'the amount differs' }),
        'Payment event evt_1 from stripe is held for review. Reason: the amount differs',
        'stripe का भुगतान इवेंट evt_1 जाँच के लिए रोका गया है। कारण: the amount differs',
      ],
      [
        alert('fx_stale', { from: 'USD', to: 'INR', days: 4, source: 'ecb' }),
        'The USD→INR exchange rate is 4 days old. Prices still carry the FX buffer; set a new rate or check the daily source.',
        'USD→INR विनिमय दर 4 दिन पुरानी है। कीमतों में FX बफ़र अब भी शामिल है; नई दर डालें या दैनिक स्रोत जाँचें।',
      ],
      [
        alert('sync_failed', { error: 'supplier unreachable' }),
        'The daily catalog sync failed: prices and stock are as the last sync left them. Press Sync now on the Pricing screen when the supplier answers. Reason: supplier unreachable',
        'रोज़ का कैटलॉग सिंक विफल रहा: कीमतें और स्टॉक पिछले सिंक जैसे ही हैं। सप्लायर जवाब दे तो कीमतें स्क्रीन पर "अभी सिंक करें" दबाएँ। कारण: supplier unreachable',
      ],
      [
        alert('reconcile_discrepancy', {
          supplier: '',
          count: 3,
          charged_not_delivered: 1,
          delivered_not_charged: 0,
          amount_mismatch: 1,
          balance_unexplained: 1,
          deliverable: 1,
        }),
        "Reconciliation found 3 discrepancies with the supplier's records: 1 charge(s) with no delivered order, 0 delivered order(s) the supplier does not show, 1 amount(s) that differ, 1 unexplained balance movement(s).",
        'मिलान में सप्लायर के रिकॉर्ड से 3 अंतर मिले: 1 शुल्क जिनका ऑर्डर डिलीवर नहीं हुआ, 0 डिलीवर ऑर्डर जो सप्लायर नहीं दिखाता, 1 राशियाँ जो अलग हैं, 1 बैलेंस बदलाव जिनका कारण नहीं मिला।',
      ],
      [
        alert('refund_rate', { refunded: 2, paid: 102, days: 7, pct: '2.0' }),
        "2 of the 102 orders paid in the last 7 days were refunded or are due a refund (2.0%). Check the supplier's failures and the orders list.",
        'पिछले 7 दिनों में भुगतान हुए 102 ऑर्डर में से 2 की धनवापसी हुई या बाकी है (2.0%)। सप्लायर की विफलताएँ और ऑर्डर सूची जाँचें।',
      ],
    ];
    for (const [a, english, hindi] of cases) {
      setLocale('en');
      expect(alertText(a)).toBe(english);
      setLocale('hi');
      expect(alertText(a)).toBe(hindi);
    }
  });

  it('falls back to the English message without facts or with facts it cannot word', () => {
    setLocale('hi');
    expect(alertText(alert('balance_low', null, 'as stored'))).toBe('as stored');
    expect(alertText(alert('balance_low', { below: 'spend', balance: '1.00' }, 'no currency'))).toBe('no currency');
    expect(alertText(alert('refund_due', { order: 'ORD-1' }, 'missing name'))).toBe('missing name');
  });
});

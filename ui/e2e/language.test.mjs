// The language switch in the built UI: the whole counter, the sale and the delivery
// screen in Hindi (Devanagari from the bundled Noto font), and back to English.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot, signIn } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

describe('the language switch', () => {
  it('switches the counter and the delivery screen to Hindi and back', async () => {
    const { page, errors } = await openApp(browser, { demo: true });
    await page.getByRole('button', { name: 'हिन्दी' }).click();
    assert.equal(await page.locator('html').getAttribute('lang'), 'hi');
    assert.equal(await page.getByRole('combobox').getAttribute('placeholder'), 'नाम, ब्रांड या SKU लिखें');
    assert.equal(await page.getByRole('button', { name: 'ऑर्डर' }).count(), 1);

    await page.getByRole('combobox').focus();
    await page.keyboard.type('steam 20');
    await page.getByRole('option').first().waitFor();
    await page.keyboard.press('Enter');
    const cash = page.getByLabel('मिली हुई नकद राशि');
    await cash.waitFor();
    await page.keyboard.type('2000');
    assert.match(await page.getByText('लौटाने वाले पैसे').first().textContent(), /लौटाने/);
    await screenshot(page, 'e2e-counter-pay-hi.png');
    await page.keyboard.press('Enter');
    await page.getByTestId('delivery').waitFor();
    assert.equal(await page.getByRole('heading', { name: 'कोड जारी हुआ' }).count(), 1);
    assert.match(await page.getByTestId('delivery').textContent(), /डेमो कोड/);
    // The Devanagari is drawn by the bundled font, not a fallback.
    const fontOk = await page.evaluate(() => document.fonts.check('20px "Noto Sans Devanagari"', 'कोड'));
    assert.equal(fontOk, true);
    await screenshot(page, 'e2e-delivery-hi.png');

    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'EN' }).click();
    assert.equal(await page.getByRole('combobox').getAttribute('placeholder'), 'Type a name, brand or SKU');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('words a new alert\'s desktop notification in the screen\'s language', async () => {
    const { page, errors } = await openApp(browser);
    await page.getByRole('button', { name: 'हिन्दी' }).click();
    // The UI takes the notifications over once it listens for alerts.
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'take_alert_notifications'));
    await page.evaluate(() =>
      window.__emit('alert-raised', {
        id: 9, kind: 'balance_low', message: 'The supplier balance 150.00 USD is below the alert threshold 200 USD.',
        facts: { below: 'threshold', balance: '150.00', threshold: '200', currency: 'USD' },
        order_ref: null, created_at: '2026-03-14T09:00:00.000Z', state: 'open',
      }),
    );
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'notify_desktop'));
    const [shown] = await page.evaluate(() => window.__calls.filter((c) => c.cmd === 'notify_desktop'));
    assert.equal(shown.args.title, 'बैलेंस कम');
    assert.match(shown.args.body, /सप्लायर/);
    assert.match(shown.args.body, /150/);
    assert.doesNotMatch(shown.args.body, /supplier balance/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('remembers the language on the next start', async () => {
    const { page } = await openApp(browser);
    await page.getByRole('button', { name: 'हिन्दी' }).click();
    await page.reload();
    // A new start opens on the PIN pad, already in Hindi.
    await page.getByRole('heading', { name: 'साइन इन करें' }).waitFor();
    await signIn(page);
    await page.getByRole('combobox').waitFor();
    assert.equal(await page.getByRole('combobox').getAttribute('placeholder'), 'नाम, ब्रांड या SKU लिखें');
    await page.close();
  });
});

// The counter flow in the built UI: search, live quote, cash with change, "ordering…",
// the delivery screen with its receipt and email; a refusal after payment; a remote
// sale's payment link, in English and Hindi; the first run's sandbox demo.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot } from './harness.mjs';

/** A payment link's QR code as core's `remote::svg_qr` draws it. */
const REMOTE_QR = await readFile(new URL('./fixtures/remote-qr.svg', import.meta.url), 'utf8');

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

describe('the counter', () => {
  it('sells for cash and shows the code on the delivery screen', async () => {
    const { page, errors, calls } = await openApp(browser, { demo: true });
    await page.keyboard.type('steam 20');
    await page.getByRole('option', { name: /STEAM-US-20/ }).waitFor();
    await page.keyboard.press('Enter');
    const cash = page.getByLabel('Cash received');
    await cash.waitFor();
    assert.equal(await cash.evaluate((el) => el === document.activeElement), true, 'cash received has the focus');
    await page.keyboard.type('2000');
    assert.equal(await page.getByTestId('pay-change').textContent(), '₹101.00');
    await screenshot(page, 'e2e-counter-pay-en.png');
    await page.keyboard.press('Enter');
    await page.getByTestId('ordering').waitFor();
    await page.getByTestId('delivery').waitFor();
    assert.equal(await page.getByTestId('issued-code').textContent(), 'WX7KM-Q2P9R-T4HZD');
    assert.equal(await page.getByTestId('change').textContent(), '₹101.00');
    assert.match(await page.getByTestId('delivery').textContent(), /SN-482913775/);
    assert.match(await page.getByTestId('delivery').textContent(), /DEMO CODE/);
    const sells = (await calls()).filter((c) => c.cmd === 'sell_cash');
    assert.deepEqual(sells, [{ cmd: 'sell_cash', args: { sku: 'STEAM-US-20', tendered: '2000.00', email: null, language: 'en' } }]);

    // The receipt prints in the background; the screen asks until it has.
    const receipt = page.getByTestId('receipt-line');
    await receipt.getByText('Printed ✓').waitFor();
    await screenshot(page, 'e2e-delivery-en.png');
    // P prints it again: a numbered reprint.
    await page.keyboard.press('p');
    await receipt.getByText('Reprint #1 printed ✓').waitFor();
    const prints = (await calls()).filter((c) => c.cmd === 'print_receipt');
    assert.deepEqual(prints, [{ cmd: 'print_receipt', args: { order: 'ORD-000042' } }]);

    // Enter: next sale, and the code is gone from the page.
    await page.keyboard.press('Enter');
    await page.getByRole('combobox').waitFor();
    assert.equal(await page.getByText('WX7KM-Q2P9R-T4HZD').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a receipt that did not print is reprinted; the code is emailed and the receipt previewed', async () => {
    const { page, errors, calls } = await openApp(browser, { demo: true, printerOff: true });
    await page.keyboard.type('steam 20');
    await page.getByRole('option', { name: /STEAM-US-20/ }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByLabel('Cash received').waitFor();
    await page.keyboard.type('1899');
    await page.getByLabel('Email the code to (optional)').fill('asha@example.com');
    await page.keyboard.press('Enter');
    await page.getByTestId('delivery').waitFor();
    const sell = (await calls()).find((c) => c.cmd === 'sell_cash');
    assert.equal(sell.args.email, 'asha@example.com');

    const receipt = page.getByTestId('receipt-line');
    await receipt.getByText('Not printed — printer: printer is off or out of paper').waitFor();
    await page.getByTestId('email-line').getByText('Not sent yet to asha@example.com — no mail server is set up').waitFor();
    await receipt.getByRole('button', { name: 'Reprint' }).click();
    await receipt.getByText('Printed ✓').waitFor();

    // E: the address field, prefilled; Enter sends; the new email is listed.
    await page.getByRole('button', { name: /Next sale/ }).focus();
    await page.keyboard.press('e');
    const field = page.getByLabel('Email the code to', { exact: true });
    await field.waitFor();
    assert.equal(await field.inputValue(), 'asha@example.com');
    await field.fill('ravi@example.com');
    await page.keyboard.press('Enter');
    await page.getByTestId('email-line').getByText('Not sent yet to ravi@example.com — no mail server is set up').waitFor();
    assert.equal(await page.getByTestId('delivery').count(), 1, 'Enter in the field did not end the sale');
    const emails = (await calls()).filter((c) => c.cmd === 'email_code');
    assert.deepEqual(emails, [{ cmd: 'email_code', args: { order: 'ORD-000042', to: 'ravi@example.com' } }]);

    // R: the text receipt.
    await page.keyboard.press('r');
    assert.match(await page.getByTestId('receipt-preview').textContent(), /CODETILL DEMO SHOP[\s\S]*WX7KM-Q2P9R-T4HZD/);
    await screenshot(page, 'e2e-delivery-handover-en.png');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a refusal after payment reads: payment taken, code not issued, refund due', async () => {
    const { page } = await openApp(browser, { sale: 'refund_due' });
    await page.keyboard.type('steam 20');
    await page.getByRole('option').first().waitFor();
    await page.keyboard.press('Enter');
    await page.getByLabel('Cash received').waitFor();
    await page.keyboard.type('1899');
    await page.keyboard.press('Enter');
    const slip = page.getByTestId('sale-problem');
    await slip.waitFor();
    assert.match(await slip.textContent(), /Payment taken — code not issued — refund due/i);
    assert.match(await slip.textContent(), /Give the customer back ₹1,899\.00/);
    await screenshot(page, 'e2e-refund-due-en.png');
    await page.close();
  });

  it('sells remotely: F5, the buyer\'s email, Enter; the link and QR wait for payment, then paid and emailed', async () => {
    const { page, errors, calls } = await openApp(browser, { emailReady: true, remoteQr: REMOTE_QR });
    await page.keyboard.type('steam 20');
    await page.getByRole('option', { name: /STEAM-US-20/ }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByLabel('Cash received').waitFor();
    await page.keyboard.press('F5');
    const email = page.getByLabel('Buyer’s email (the code is sent here)');
    await email.waitFor();
    assert.equal(await email.evaluate((el) => el === document.activeElement), true, 'the email has the focus');
    await page.keyboard.type('ravi@example.com');
    await screenshot(page, 'e2e-remote-form-en.png');
    await page.keyboard.press('Enter');
    const sale = page.getByTestId('remote-sale');
    await sale.waitFor();
    const remote = (await calls()).filter((c) => c.cmd === 'sell_remotely');
    assert.deepEqual(remote, [{ cmd: 'sell_remotely', args: { sku: 'STEAM-US-20', email: 'ravi@example.com', provider: 'stripe', language: 'en' } }]);
    assert.equal(await page.getByTestId('remote-price').textContent(), '₹1,899.00');
    assert.equal(await page.getByTestId('remote-order').textContent(), 'ORD-000042');
    assert.match(await page.getByTestId('remote-status').textContent(), /Awaiting payment — the code is emailed to ravi@example\.com once paid\./);
    // Large enough to scan from a phone across the counter.
    const qr = await page.getByTestId('remote-qr').boundingBox();
    assert.ok(qr && qr.width >= 300 && Math.abs(qr.width - qr.height) < 1, JSON.stringify(qr));
    await screenshot(page, 'e2e-remote-link-en.png');

    await page.getByRole('button', { name: 'हिन्दी' }).click();
    assert.match(await page.getByTestId('remote-status').textContent(), /भुगतान का इंतज़ार/);
    await screenshot(page, 'e2e-remote-link-hi.png');
    await page.getByRole('button', { name: 'EN', exact: true }).click();

    // The relay brings the payment: the screen, asking every few seconds, follows it.
    await page.evaluate(() => window.__payRemote('ORD-000042'));
    await page.getByTestId('remote-status').getByText('Paid and delivered — the code was emailed to ravi@example.com.').waitFor({ timeout: 15_000 });
    await screenshot(page, 'e2e-remote-delivered-en.png');
    // Esc: the next sale (the language switch has the focus, and its Enter is its own).
    await page.keyboard.press('Escape');
    await page.getByRole('combobox').waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a remote sale with no payment provider set up says so (in Hindi) and keeps the form', async () => {
    const { page } = await openApp(browser, { noProvider: true });
    await page.getByRole('button', { name: 'हिन्दी' }).click();
    await page.getByRole('combobox').focus();
    await page.keyboard.type('steam 20');
    await page.getByRole('option').first().waitFor();
    await page.keyboard.press('Enter');
    await page.getByLabel('मिली हुई नकद राशि').waitFor();
    await page.keyboard.press('F5');
    await page.keyboard.type('ravi@example.com');
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /भुगतान लिंक नहीं बना — कोई पैसा नहीं लिया गया/);
    assert.match(await alert.textContent(), /यह भुगतान सेवा इस काउंटर पर सेट नहीं है/);
    assert.equal(await page.getByTestId('remote-sale').count(), 0);
    assert.equal(await page.getByLabel('ख़रीदार का ईमेल (कोड यहीं भेजा जाएगा)').inputValue(), 'ravi@example.com');
    // The error and the button to try again both show at 1200 × 800: what is drawn
    // at each one's middle is that element, not the panel's edge or the key bar.
    const shown = (sel) => {
      const el = [...document.querySelectorAll(sel)].at(-1);
      const r = el?.getBoundingClientRect();
      return !!r && el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
    };
    await page.waitForFunction(shown, '.remote button.confirm', { timeout: 2000 });
    assert.equal(await page.evaluate(shown, '.remote .error'), true, 'the error shows');
    await screenshot(page, 'e2e-remote-form-error-hi.png');
    await page.close();
  });

  it('a first run without a supplier starts the sandbox demo with progress', async () => {
    const { page } = await openApp(browser, { supplier: false });
    await page.getByRole('button', { name: 'Try it with the sandbox supplier' }).click();
    await page.getByRole('progressbar').waitFor();
    await page.getByRole('combobox').waitFor();
    assert.equal(await page.getByTestId('demo-chip').textContent(), 'DEMO');
    await page.close();
  });
});

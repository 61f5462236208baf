// Real suppliers in the built UI: the first run's "Connect a supplier" to Settings →
// Suppliers (add, test, disable), an open-amount product's amount at the counter, and
// the pricing screen's currency, rates and daily sync. Screenshots in English and
// Hindi (ARTIFACTS/suppliers-*.png).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const SANDBOX = {
  name: 'reloadly-sandbox', kind: 'reloadly', url: 'https://giftcards-sandbox.reloadly.com', auth_url: 'https://auth.reloadly.com',
  account: null, account_currency: 'USD', enabled: true, created_at: '2026-03-01T09:00:00.000Z',
};
const DING = {
  name: 'ding-in', kind: 'ding', url: 'https://api.dingconnect.com', auth_url: null, account: '+919800000000',
  account_currency: 'INR', enabled: false, created_at: '2026-03-02T09:00:00.000Z',
};

describe('real suppliers in the app', () => {
  it('the first run connects a supplier: the form, the key kept, the connection tested', async () => {
    const { page, errors, calls } = await openApp(browser, { supplier: false });
    await page.getByTestId('connect-supplier').waitFor();
    await screenshot(page, 'suppliers-firstrun-en.png');
    await page.getByTestId('connect-supplier').click();
    const form = page.getByTestId('supplier-form');
    await form.waitFor();
    // The name field has the focus: the form is filled from the keyboard.
    await page.keyboard.type('reloadly-sandbox');
    await form.getByLabel('API address').fill('https://giftcards-sandbox.reloadly.com');
    await form.getByLabel('Token address (Reloadly)').fill('https://auth.reloadly.com');
    await form.getByLabel('Account currency').fill('usd');
    await form.getByLabel('API key').fill('client-id:client-secret');
    await screenshot(page, 'suppliers-add-en.png');
    await form.getByRole('button', { name: 'Add and test' }).click();
    await page.getByTestId('supplier-row').waitFor();
    await page.getByText('Connected. Balance: $1,250.00').waitFor();
    const added = (await calls()).find((c) => c.cmd === 'add_supplier_account');
    assert.deepEqual(added.args.input, {
      name: 'reloadly-sandbox', kind: 'reloadly', url: 'https://giftcards-sandbox.reloadly.com',
      auth_url: 'https://auth.reloadly.com', account: null, account_currency: 'USD', key: 'client-id:client-secret',
    });
    assert.equal(await page.getByText('client-id:client-secret').count(), 0, 'the key is never shown');
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByTestId('supplier-row').getByText('Disabled').waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  for (const lang of ['en', 'hi']) {
    it(`Settings → Suppliers lists the accounts (${lang})`, async () => {
      const { page, errors } = await openApp(browser, { accounts: [SANDBOX, DING] });
      await page.getByRole('combobox').waitFor();
      if (lang === 'hi') await page.getByRole('button', { name: 'हिन्दी' }).click();
      await page.keyboard.press('F9');
      await page.getByTestId('supplier-row').nth(1).waitFor();
      await page.getByTestId('supplier-row').first().getByRole('button').first().click();
      await page.getByTestId('supplier-test').waitFor();
      await page.waitForFunction(() => /1,250/.test(document.querySelector('[data-testid="supplier-test"]')?.textContent ?? ''));
      await screenshot(page, `suppliers-settings-${lang}.png`);
      await page.getByTestId('add-supplier').click();
      await page.getByTestId('supplier-form').getByRole('combobox').selectOption('bamboo');
      await page.getByTestId('supplier-form').scrollIntoViewIfNeeded();
      await screenshot(page, `suppliers-add-bamboo-${lang}.png`);
      assert.deepEqual(errors, []);
      await page.close();
    });

    it(`the counter asks an open-amount product's amount within its bounds (${lang})`, async () => {
      const { page, errors, calls } = await openApp(browser);
      await page.getByRole('combobox').waitFor();
      if (lang === 'hi') await page.getByRole('button', { name: 'हिन्दी' }).click();
      await page.getByRole('combobox').focus();
      await page.keyboard.type('amazon');
      await page.getByRole('option').first().waitFor();
      await page.keyboard.press('Enter');
      const amount = page.getByTestId('amount-input');
      await amount.waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'amount-input');
      await page.keyboard.type('600');
      await page.keyboard.press('Enter');
      await page.getByTestId('amount-problem').waitFor();
      assert.match(await page.getByTestId('amount-problem').textContent(), /€10\.00.*€500\.00/);
      assert.equal((await calls()).filter((c) => c.cmd === 'quote').length, 0, 'nothing asked of the supplier');
      await screenshot(page, `suppliers-amount-refused-${lang}.png`);
      await amount.fill('25');
      await page.keyboard.press('Enter');
      await page.getByRole('region', { name: lang === 'en' ? 'Payment' : 'भुगतान' }).waitFor();
      assert.deepEqual((await calls()).filter((c) => c.cmd === 'quote').map((c) => c.args), [{ sku: 'AMAZON-DE-OPEN', amount: '25.00' }]);
      await screenshot(page, `suppliers-amount-quoted-${lang}.png`);
      await page.keyboard.type('2375');
      await page.keyboard.press('Enter');
      await page.getByTestId('issued-code').first().waitFor();
      const sold = (await calls()).find((c) => c.cmd === 'sell_cash');
      assert.equal(sold.args.amount, '25.00');
      assert.deepEqual(errors, []);
      await page.close();
    });

    it(`pricing shows the shop currency, the rates with source and age, and the daily sync (${lang})`, async () => {
      const { page, errors, calls } = await openApp(browser);
      await page.getByRole('combobox').waitFor();
      if (lang === 'hi') await page.getByRole('button', { name: 'हिन्दी' }).click();
      await page.keyboard.press('F7');
      await page.getByTestId('rate-row').nth(1).waitFor();
      await page.getByTestId('daily-sync').scrollIntoViewIfNeeded();
      await page.getByTestId('sync-hour').selectOption('6');
      await page.waitForFunction(() => /06:00/.test(document.querySelector('[data-testid="daily-sync"]')?.textContent ?? ''));
      assert.deepEqual((await calls()).filter((c) => c.cmd === 'set_sync_hour').map((c) => c.args), [{ hour: '6' }]);
      await page.getByTestId('rates').scrollIntoViewIfNeeded();
      await screenshot(page, `suppliers-pricing-${lang}.png`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});

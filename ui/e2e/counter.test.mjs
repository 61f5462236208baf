// The counter flow in the built UI: search, live quote, cash with change, "ordering…",
// the delivery screen; a refusal after payment; the first run's sandbox demo.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot } from './harness.mjs';

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
    await screenshot(page, 'e2e-delivery-en.png');
    const sells = (await calls()).filter((c) => c.cmd === 'sell_cash');
    assert.deepEqual(sells, [{ cmd: 'sell_cash', args: { sku: 'STEAM-US-20', tendered: '2000.00' } }]);

    // Enter: next sale, and the code is gone from the page.
    await page.keyboard.press('Enter');
    await page.getByRole('combobox').waitFor();
    assert.equal(await page.getByText('WX7KM-Q2P9R-T4HZD').count(), 0);
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

  it('a first run without a supplier starts the sandbox demo with progress', async () => {
    const { page } = await openApp(browser, { supplier: false });
    await page.getByRole('button', { name: 'Try it with the sandbox supplier' }).click();
    await page.getByRole('progressbar').waitFor();
    await page.getByRole('combobox').waitFor();
    assert.equal(await page.getByTestId('demo-chip').textContent(), 'DEMO');
    await page.close();
  });
});

// The grown-up counter in the built UI: a basket of several lines paid once (with a
// line refused after payment, in Hindi), the tax invoice beside the payment, the
// buyer kept at the counter and found again on the Orders screen (reprint, resend),
// the owner's tax settings, and the cash drawer's key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** Types `text` into the search box (F2 first) and adds the first result with Enter. */
async function add(page, text, sku) {
  await page.keyboard.press('F2');
  await page.keyboard.type(text);
  await page.getByRole('option', { name: new RegExp(sku) }).first().waitFor();
  await page.keyboard.press('Enter');
}

describe('the basket', () => {
  it('adds lines with Enter, + and Delete change them, one payment issues every code', async () => {
    const { page, errors, calls } = await openApp(browser, { demo: true });
    await add(page, 'steam 20', 'STEAM-US-20');
    await page.getByLabel('Cash received').waitFor();
    await add(page, 'jio', 'JIO-IN-239');
    const basket = page.getByTestId('basket');
    await basket.waitFor();
    await page.getByTestId('basket-total').getByText('2,138.00').waitFor();
    // + twice on the selected line (the Jio top-up), from the cash field.
    await page.getByLabel('Cash received').focus();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.getByTestId('basket-total').getByText('2,616.00').waitFor();
    assert.deepEqual(await page.getByTestId('line-quantity').allTextContents(), ['1×', '3×']);
    // A third line, then Delete takes it out again (the field is empty: Delete is the basket's).
    await add(page, 'steam 50', 'STEAM-US-50');
    await page.getByTestId('basket-total').getByText('7,315.00').waitFor();
    await page.getByLabel('Cash received').focus();
    await page.keyboard.press('Delete');
    await page.getByTestId('basket-total').getByText('2,616.00').waitFor();
    assert.equal(await page.getByTestId('basket-line').count(), 2);
    await page.getByLabel('Cash received').fill('3000');
    assert.equal(await page.getByTestId('pay-change').textContent(), '₹384.00');
    await screenshot(page, 'e2e-basket-en.png');
    await page.getByRole('button', { name: /issue 4 codes/ }).waitFor();
    await page.keyboard.press('Enter');

    const done = page.getByTestId('basket-done');
    await done.waitFor();
    assert.equal(await done.getByTestId('issued-code').count(), 4);
    assert.equal(await page.getByTestId('change').textContent(), '₹384.00');
    assert.match(await page.getByTestId('basket-id').textContent(), /^BSK-/);
    assert.equal(await page.getByTestId('basket-refund-due').count(), 0);
    await page.getByTestId('receipt-line').first().getByText('Printed ✓').waitFor();
    await screenshot(page, 'e2e-basket-done-en.png');
    const sells = (await calls()).filter((c) => c.cmd === 'sell_basket_cash');
    assert.deepEqual(sells, [{ cmd: 'sell_basket_cash', args: {
      lines: [{ sku: 'STEAM-US-20', quantity: 1 }, { sku: 'JIO-IN-239', quantity: 3 }],
      tendered: '3000.00', email: null, language: 'en' } }]);
    // Enter: the next sale, an empty counter.
    await page.keyboard.press('Enter');
    await page.getByRole('combobox').waitFor();
    assert.equal(await page.getByTestId('basket').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a line refused after payment shows its refund due at once, in Hindi', async () => {
    const { page, errors } = await openApp(browser, { demo: true, refuseSku: 'JIO-IN-239' });
    await page.getByRole('button', { name: 'हिन्दी' }).click();
    await add(page, 'steam 20', 'STEAM-US-20');
    await page.getByLabel('मिली हुई नकद राशि').waitFor();
    await add(page, 'jio', 'JIO-IN-239');
    await page.getByTestId('basket-total').waitFor();
    await page.getByLabel('मिली हुई नकद राशि').fill('2200');
    await screenshot(page, 'e2e-basket-hi.png');
    await page.keyboard.press('Enter');
    const owed = page.getByTestId('basket-refund-due');
    await owed.waitFor();
    assert.match(await owed.textContent(), /अभी लौटाने हैं: ₹239.00/);
    assert.equal(await page.getByTestId('issued-code').count(), 1);
    assert.equal(await page.getByTestId('unit-refund-due').count(), 1);
    await screenshot(page, 'e2e-basket-refund-hi.png');
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('the tax invoice', () => {
  for (const lang of ['en', 'hi']) {
    it(`shows "Tax invoice" with its number, net and tax beside the payment (${lang})`, async () => {
      const { page, errors, calls } = await openApp(browser, { tax: { taxId: '29ABCDE1234F1Z5', rates: { gift_card: '18' } } });
      if (lang === 'hi') await page.getByRole('button', { name: 'हिन्दी' }).click();
      await add(page, 'steam 20', 'STEAM-US-20');
      const cash = page.locator('#pay-tendered');
      await cash.fill('2000');
      await page.getByTestId('buyer-toggle').click();
      await page.getByTestId('pay-buyer').locator('input').nth(2).fill('27AAPFU0939F1ZV');
      await cash.focus();
      await page.keyboard.press('Enter');
      const invoice = page.getByTestId('tax-invoice');
      await invoice.waitFor();
      assert.match(await invoice.textContent(), lang === 'hi' ? /टैक्स इनवॉइस/ : /Tax invoice/);
      assert.equal(await page.getByTestId('invoice-number').textContent(), 'INV/2026-27/000001');
      assert.equal(await page.getByTestId('invoice-net').textContent(), '₹1,609.32');
      assert.equal(await page.getByTestId('invoice-tax').textContent(), '₹289.68');
      assert.match(await invoice.textContent(), /27AAPFU0939F1ZV/);
      const sells = (await calls()).filter((c) => c.cmd === 'sell_cash');
      assert.deepEqual(sells[0].args.buyer, { tax_id: '27AAPFU0939F1ZV' });
      await screenshot(page, `e2e-tax-invoice-${lang}.png`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  it('the owner sets the shop’s GSTIN and a category’s rate in Settings', async () => {
    const { page, errors, calls } = await openApp(browser);
    await page.keyboard.press('F9');
    const tax = page.getByTestId('tax-settings');
    await tax.scrollIntoViewIfNeeded();
    await page.getByTestId('tax-id').fill('29ABCDE1234F1Z5');
    await page.getByTestId('tax-rate-gift_card').fill('18');
    await tax.getByRole('button', { name: 'Save tax settings' }).click();
    await tax.getByRole('status').waitFor();
    await page.getByTestId('retention-months').fill('24');
    await page.getByTestId('buyer-retention').getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('buyer-retention').getByRole('status').waitFor();
    const made = (await calls()).filter((c) => ['save_tax_settings', 'set_tax_rate', 'set_buyer_retention'].includes(c.cmd));
    assert.deepEqual(made, [
      { cmd: 'save_tax_settings', args: { input: { tax_id: '29ABCDE1234F1Z5', prefix: 'INV', fy_start_month: 4 } } },
      { cmd: 'set_tax_rate', args: { category: 'gift_card', rate: '18' } },
      { cmd: 'set_buyer_retention', args: { months: 24 } },
    ]);
    await tax.scrollIntoViewIfNeeded();
    await screenshot(page, 'owner-settings-tax-en.png');
    await page.getByRole('button', { name: 'हिन्दी' }).click();
    await page.getByTestId('tax-settings').getByText('टैक्स इनवॉइस').first().waitFor();
    await screenshot(page, 'owner-settings-tax-hi.png');
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('buyers', () => {
  it('a phone typed at the counter finds the buyer’s orders, which reprint and resend', async () => {
    const { page, errors, calls } = await openApp(browser, { emailReady: true });
    await add(page, 'steam 20', 'STEAM-US-20');
    await page.locator('#pay-tendered').fill('1899');
    await page.locator('#pay-email').fill('ravi@example.com');
    await page.getByTestId('buyer-toggle').click();
    const buyer = page.getByTestId('pay-buyer').locator('input');
    await buyer.nth(0).fill('98765 43210');
    await buyer.nth(1).fill('Ravi Kumar');
    await page.keyboard.press('Enter');
    await page.getByTestId('delivery').waitFor();
    const sold = (await calls()).find((c) => c.cmd === 'sell_cash');
    assert.deepEqual(sold.args.buyer, { phone: '98765 43210', name: 'Ravi Kumar' });
    await page.keyboard.press('Escape');

    for (const lang of ['en', 'hi']) {
      await page.keyboard.press('F6');
      if (lang === 'hi') await page.getByRole('button', { name: 'हिन्दी' }).click();
      await page.getByTestId('buyer-filter').fill('43210');
      await page.getByTestId('buyer-filter').press('Enter');
      const found = page.getByTestId('buyers');
      await found.waitFor();
      await found.getByRole('button', { name: /Ravi Kumar/ }).click();
      await page.getByRole('row').nth(1).getByRole('button').click();
      const detail = page.getByTestId('order-detail');
      await detail.getByTestId('order-buyer').waitFor();
      assert.match(await detail.getByTestId('order-buyer').textContent(), /Ravi Kumar · 9876543210 · ravi@example.com/);
      await page.getByTestId('order-handover').getByRole('button').first().click();
      await page.getByTestId('order-handover').getByRole('status').waitFor();
      await screenshot(page, `e2e-orders-buyer-${lang}.png`);
      await page.keyboard.press('F2');
    }
    const list = (await calls()).filter((c) => c.cmd === 'list_orders' && c.args.query.buyer);
    assert.equal(list.at(-1).args.query.buyer, '9876543210');
    assert.ok((await calls()).some((c) => c.cmd === 'print_receipt'));
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('the cash drawer', () => {
  it('Ctrl+D opens it on a till that has one, and says so', async () => {
    const { page, errors, calls } = await openApp(browser, { drawer: true });
    await page.getByTestId('drawer-key').waitFor();
    await page.keyboard.press('Control+d');
    await page.getByText('Cash drawer opened').waitFor();
    assert.equal((await calls()).filter((c) => c.cmd === 'open_drawer').length, 1);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('no drawer: no key on the bar, and Ctrl+D does nothing', async () => {
    const { page, calls } = await openApp(browser);
    await page.getByRole('combobox').waitFor();
    assert.equal(await page.getByTestId('drawer-key').count(), 0);
    await page.keyboard.press('Control+d');
    assert.equal((await calls()).filter((c) => c.cmd === 'open_drawer').length, 0);
    await page.close();
  });
});

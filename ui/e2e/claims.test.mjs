// Sell now, deliver when the supplier returns, in the built UI: a sale taken as a
// claim shows its slip (number, QR, price, the refund limit, the slip printed), the
// slip's number typed at the counter opens the claim (waiting, then delivered and
// opened on Orders), a basket's claimed unit beside its codes (and Q's QR codes), the
// waiting claims on Orders, and the owner's claim and cash drawer settings. English
// and Hindi; screenshots in artifacts/e2e-claim-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const HINDI = 'हिन्दी';

/** Types `text` into the search box (F2 first) and adds the first result with Enter. */
async function add(page, text, sku) {
  await page.keyboard.press('F2');
  await page.keyboard.type(text);
  await page.getByRole('option', { name: new RegExp(sku) }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Types a claim number into the search box, as a scanner does, and Enter. */
async function enterNumber(page, number) {
  await page.keyboard.press('F2');
  await page.keyboard.type(number);
  await page.keyboard.press('Enter');
}

describe('a sale taken as a claim', () => {
  for (const lang of ['en', 'hi']) {
    it(`shows the claim slip, and its number brings the claim back (${lang})`, async () => {
      const { page, errors, calls } = await openApp(browser, { sale: 'claim', claims: { enabled: true, limit: 48 } });
      if (lang === 'hi') await page.getByRole('button', { name: HINDI }).click();
      await add(page, 'steam 20', 'STEAM-US-20');
      await page.locator('#pay-tendered').fill('2000');
      await page.keyboard.press('Enter');

      const slip = page.getByTestId('claim-slip');
      await slip.waitFor();
      assert.equal(await slip.getAttribute('data-kind'), 'waiting');
      const number = await page.getByTestId('claim-number').textContent();
      assert.match(number, /^CLM-\d{6}$/);
      await page.getByTestId('claim-qr').locator('svg').waitFor();
      assert.equal(await page.getByTestId('claim-paid').textContent(), '₹1,899.00');
      assert.match(await page.getByTestId('claim-limit').textContent(), lang === 'hi' ? /48 घंटे/ : /within 48 hours/);
      await page.getByTestId('claim-slip-print').getByText(lang === 'hi' ? 'पर्ची छपी ✓' : 'Slip printed ✓').waitFor();
      assert.equal(await page.getByTestId('issued-code').count(), 0);
      await screenshot(page, `e2e-claim-sale-${lang}.png`);

      // Enter: a new sale.
      await page.keyboard.press('Enter');
      await page.getByRole('combobox').waitFor();
      assert.equal(await slip.count(), 0);

      // The buyer is back: the slip's number (lower case too) opens the claim, still waiting.
      await enterNumber(page, number.toLowerCase());
      await slip.waitFor();
      assert.equal(await slip.getAttribute('data-kind'), 'waiting');
      await page.keyboard.press('Escape');
      await page.getByRole('combobox').waitFor();

      // The supplier answered: the claim is delivered; its code stays behind the audited reveal.
      await page.evaluate((n) => window.__deliverClaim(n), number);
      await enterNumber(page, number);
      await slip.waitFor();
      assert.equal(await slip.getAttribute('data-kind'), 'delivered');
      assert.equal(await page.getByText('CL4IM-Q2P9R-T4HZD').count(), 0);
      await screenshot(page, `e2e-claim-delivered-${lang}.png`);
      await page.keyboard.press('o');
      const detail = page.getByTestId('order-detail');
      await detail.waitFor();
      assert.match(await detail.textContent(), new RegExp(number.replace('CLM-', 'ORD-')));
      assert.equal(await page.getByText('CL4IM-Q2P9R-T4HZD').count(), 0);

      const looked = (await calls()).filter((c) => c.cmd === 'order').map((c) => c.args.id);
      assert.deepEqual(looked.slice(0, 2), [number, number]);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  it('an unknown claim number says so and the counter stays', async () => {
    const { page, errors } = await openApp(browser, {});
    await enterNumber(page, 'CLM-999999');
    await page.getByRole('alert').getByText('No claim has this number').waitFor();
    assert.equal(await page.getByTestId('claim-slip').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('a basket with a claimed unit', () => {
  for (const lang of ['en', 'hi']) {
    it(`shows the claim card beside the codes, and Q shows the codes as QR codes (${lang})`, async () => {
      const { page, errors, calls } = await openApp(browser, { claimSku: 'JIO-IN-239', claims: { enabled: true, limit: 48 } });
      if (lang === 'hi') await page.getByRole('button', { name: HINDI }).click();
      await add(page, 'steam 20', 'STEAM-US-20');
      await page.locator('#pay-tendered').waitFor();
      await add(page, 'jio', 'JIO-IN-239');
      await page.getByTestId('basket-total').waitFor();
      await page.locator('#pay-tendered').fill('2200');
      await page.keyboard.press('Enter');
      const done = page.getByTestId('basket-done');
      await done.waitFor();
      assert.equal(await done.getByTestId('issued-code').count(), 1);
      const claim = done.getByTestId('unit-claim');
      await claim.getByTestId('claim-qr').locator('svg').waitFor();
      assert.match(await claim.getByTestId('claim-number').textContent(), /^CLM-\d{6}$/);

      await claim.scrollIntoViewIfNeeded();
      await screenshot(page, `e2e-claim-basket-${lang}.png`);
      await page.keyboard.press('q');
      await done.getByTestId('code-qr').first().waitFor();
      assert.equal(await done.getByTestId('code-qr').count(), 1);
      const asked = (await calls()).filter((c) => c.cmd === 'code_qr');
      assert.equal(asked.length, 1, 'only the delivered unit has a code to draw');
      await screenshot(page, `e2e-claim-basket-qr-${lang}.png`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});

describe('the waiting claims and the owner’s settings', () => {
  it('Orders lists the waiting claims', async () => {
    const { page, errors } = await openApp(browser, { sale: 'claim', claims: { enabled: true, limit: 48 } });
    await add(page, 'steam 20', 'STEAM-US-20');
    await page.locator('#pay-tendered').fill('2000');
    await page.keyboard.press('Enter');
    await page.getByTestId('claim-slip').waitFor();
    await page.keyboard.press('Enter');
    await page.keyboard.press('F6');
    const list = page.getByTestId('waiting-claims');
    await list.waitFor();
    assert.match(await list.textContent(), /Waiting claims: 1/);
    assert.match(await list.textContent(), /CLM-0000\d\d/);
    assert.match(await list.textContent(), /Steam Wallet \$20/);
    await screenshot(page, 'e2e-claim-orders-en.png');
    assert.deepEqual(errors, []);
    await page.close();
  });

  for (const lang of ['en', 'hi']) {
    it(`the owner turns claims on with a limit, a bad limit is refused, and the drawer switch (${lang})`, async () => {
      const { page, errors, calls } = await openApp(browser, {});
      if (lang === 'hi') await page.getByRole('button', { name: HINDI }).click();
      await page.keyboard.press('F9');
      const form = page.getByTestId('claim-settings');
      await form.waitFor();
      const limit = form.getByTestId('claims-limit');
      assert.equal(await limit.inputValue(), '48');
      await form.getByTestId('claims-enabled').check();
      await limit.fill('0');
      await form.getByRole('button').click();
      await form.getByRole('alert').waitFor();
      assert.match(await form.getByRole('alert').textContent(), /744/);
      await limit.fill('72');
      await form.getByRole('button').click();
      await form.getByRole('status').waitFor();
      assert.equal(await form.getByRole('alert').count(), 0);

      const drawer = page.getByTestId('drawer-setting');
      await drawer.getByTestId('drawer-enabled').check();
      await drawer.getByRole('button').click();
      await drawer.getByRole('status').waitFor();
      await form.scrollIntoViewIfNeeded();
      await screenshot(page, `e2e-claim-settings-${lang}.png`);

      const sent = (await calls()).filter((c) => c.cmd === 'set_claims' || c.cmd === 'set_drawer');
      assert.deepEqual(sent, [
        { cmd: 'set_claims', args: { enabled: true, limitHours: 72 } },
        { cmd: 'set_drawer', args: { enabled: true } },
      ]);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});

// The owner's screens in the built UI: the pricing screen's live preview as a margin
// is edited, and screenshots of pricing, balance & alerts and settings in English
// and Hindi (ARTIFACTS/owner-*.png).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const retails = (page) => page.getByTestId('preview-retail').allTextContents();

describe("the owner's screens", () => {
  it('F7 opens pricing; editing the margin changes the preview', async () => {
    const { page, errors, calls } = await openApp(browser);
    await page.getByRole('combobox').waitFor();
    await page.keyboard.press('F7');
    const margin = page.getByLabel('Margin %');
    await margin.waitFor();
    await page.getByTestId('preview-retail').first().waitFor();
    const before = await retails(page);
    assert.ok(before.length > 0);

    await margin.fill('25');
    await page.waitForFunction((old) => {
      const now = [...document.querySelectorAll('[data-testid="preview-retail"]')].map((e) => e.textContent);
      return now.length > 0 && now.join('|') !== old;
    }, before.join('|'));
    const after = await retails(page);
    assert.notDeepEqual(after, before, 'the preview follows the margin');
    const previews = (await calls()).filter((c) => c.cmd === 'price_preview');
    assert.equal(previews.at(-1).args.rule.margin_pct, '25');
    assert.equal((await calls()).filter((c) => c.cmd === 'save_price_rule').length, 0, 'nothing saved');

    await page.keyboard.press('Escape');
    await page.getByRole('combobox').waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('greys products out while the supplier is unreachable, and back on recovery', async () => {
    const { page } = await openApp(browser);
    await page.keyboard.type('steam');
    await page.getByRole('option').first().waitFor();
    await page.evaluate(() => window.__emit('supplier-status', { reachable: false, checked_at: null, error: 'timeout' }));
    await page.getByTestId('supplier-down').waitFor();
    assert.equal(await page.locator('#counter-results.down').count(), 1);
    await screenshot(page, 'owner-supplier-down-en.png');
    await page.evaluate(() => window.__emit('supplier-status', { reachable: true, checked_at: null, error: null }));
    await page.getByTestId('supplier-down').waitFor({ state: 'detached' });
    assert.equal(await page.locator('#counter-results.down').count(), 0);
    await page.close();
  });

  for (const lang of ['en', 'hi']) {
    it(`screenshots in ${lang}`, async () => {
      const { page, errors } = await openApp(browser);
      await page.getByRole('combobox').waitFor();
      if (lang === 'hi') await page.getByRole('button', { name: 'हिन्दी' }).click();

      await page.keyboard.press('F7');
      await page.getByTestId('preview-retail').first().waitFor();
      await page.getByTestId('last-sync').waitFor();
      await screenshot(page, `owner-pricing-${lang}.png`);
      await page.getByRole('button', { name: lang === 'en' ? 'Sync now' : 'अभी सिंक करें' }).click();
      await page.getByRole('progressbar').waitFor();
      await page.getByRole('progressbar').scrollIntoViewIfNeeded();
      await page.waitForTimeout(200);
      await screenshot(page, `owner-pricing-sync-${lang}.png`);

      await page.keyboard.press('F8');
      await page.getByTestId('alert-list').waitFor();
      await page.getByTestId('balance-available').waitFor();
      await screenshot(page, `owner-balance-${lang}.png`);

      await page.keyboard.press('F9');
      await page.getByTestId('data-dir').waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="data-dir"]')?.value);
      await screenshot(page, `owner-settings-${lang}.png`);
      await page.getByTestId('btcpay-ready').scrollIntoViewIfNeeded();
      await page.getByTestId('btcpay_key-state').scrollIntoViewIfNeeded();
      assert.match(await page.getByTestId('stripe-ready').textContent(), lang === 'en' ? /Stripe: ready/ : /Stripe: तैयार/);
      assert.match(await page.getByTestId('btcpay-ready').textContent(), lang === 'en' ? /BTCPay: not set up/ : /BTCPay: तैयार नहीं/);
      await screenshot(page, `owner-settings-remote-${lang}.png`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});

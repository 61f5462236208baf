// Settings → About and Updates in the built UI: the folders and a support bundle
// (busy while it is written, then its place, size and files); the owner's update
// address, a check that finds an update ready with its notes, and the install only
// after the confirmation; the install held back during a sale. English and Hindi;
// screenshots in artifacts/e2e-about-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const HINDI = 'हिन्दी';
const OFFER = { version: '0.2.0', notes: 'Claims print their slip again from Orders.\nSearch finds a sku typed with spaces.' };

const words = {
  en: { bundle: 'Write a support bundle', busy: 'Writing the support bundle…', written: 'Support bundle written', keep: 'the last 14 days',
    save: 'Save update address', check: 'Check for updates', ready: 'An update is ready: version 0.2.0', install: 'Install and restart',
    yes: 'Yes, install and restart', latest: 'You have the latest version (0.1.0)', sale: 'Finish the sale first' },
  hi: { bundle: 'सपोर्ट बंडल बनाएँ', busy: 'सपोर्ट बंडल बन रहा है…', written: 'सपोर्ट बंडल बन गया', keep: 'पिछले 14 दिनों',
    save: 'अपडेट का पता सहेजें', check: 'अपडेट जाँचें', ready: 'अपडेट तैयार है: संस्करण 0.2.0', install: 'इंस्टॉल करें और दोबारा शुरू करें',
    yes: 'हाँ, इंस्टॉल करें और दोबारा शुरू करें', latest: 'आपके पास सबसे नया संस्करण है (0.1.0)', sale: 'पहले बिक्री पूरी करें' },
};

/** Settings (F9), in `lang`. */
async function settings(shop, lang) {
  const opened = await openApp(browser, shop);
  if (lang === 'hi') await opened.page.getByRole('button', { name: HINDI }).click();
  await opened.page.keyboard.press('F9');
  return opened;
}

describe('Settings → About', () => {
  for (const lang of ['en', 'hi']) {
    it(`shows the folders and writes a support bundle (${lang})`, async () => {
      const w = words[lang];
      const { page, errors, calls } = await settings({}, lang);
      const about = page.getByTestId('about');
      await about.getByTestId('about-version').getByText('0.1.0').waitFor();
      assert.equal(await about.getByTestId('about-data').inputValue(), '/home/asha/.local/share/codetill');
      assert.equal(await about.getByTestId('about-logs').inputValue(), '/home/asha/.local/share/codetill/logs');
      assert.match(await about.getByTestId('about-keep').textContent(), new RegExp(w.keep));

      await about.getByRole('button', { name: w.bundle }).click();
      await about.getByText(w.busy).waitFor();
      assert.equal(await about.getByRole('button', { name: w.bundle }).isDisabled(), true);
      await about.getByText(w.written).waitFor();
      assert.equal(await about.getByText(w.busy).count(), 0);
      assert.equal(await about.getByTestId('about-bundle').inputValue(), '/home/asha/Downloads/codetill-support-20260314-091500.zip');
      assert.equal(await about.getByTestId('bundle-size').textContent(), lang === 'hi' ? '47.1 केबी' : '47.1 KB');
      assert.deepEqual(await about.getByTestId('bundle-files').locator('li').allTextContents(),
        ['versions.json', 'settings.json', 'state.json', 'logs/codetill.2026-03-13.log', 'logs/codetill.2026-03-14.log']);
      assert.equal((await calls()).filter((c) => c.cmd === 'support_bundle').length, 1);

      await about.scrollIntoViewIfNeeded();
      await screenshot(page, `e2e-about-bundle-${lang}.png`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});

describe('Settings → Updates', () => {
  for (const lang of ['en', 'hi']) {
    it(`the owner sets the address, finds an update ready and installs it after confirming (${lang})`, async () => {
      const w = words[lang];
      const { page, errors, calls } = await settings({ updates: { offer: OFFER } }, lang);
      const updates = page.getByTestId('update-settings');
      await updates.waitFor();
      assert.equal(await updates.getByTestId('updates-check').isDisabled(), true, 'off: nothing to check');

      // An address off this machine over plain http is refused, in place.
      const url = updates.getByTestId('updates-url');
      await url.fill('http://updates.example/latest.json');
      await url.press('Enter');
      await updates.getByRole('alert').waitFor();
      assert.match(await updates.getByRole('alert').textContent(), /updates come over https/);
      await url.fill('https://updates.example/codetill/latest.json');
      await updates.getByRole('button', { name: w.save }).click();
      await updates.getByTestId('updates-state').and(page.locator('.ok')).waitFor();
      assert.equal(await updates.getByRole('alert').count(), 0);

      await updates.getByRole('button', { name: w.check }).click();
      const ready = updates.getByTestId('updates-ready');
      await ready.getByText(w.ready).waitFor();
      assert.equal(await ready.getByTestId('updates-notes').textContent(), OFFER.notes);
      await updates.scrollIntoViewIfNeeded();
      await screenshot(page, `e2e-about-update-ready-${lang}.png`);

      // The first click asks; Esc steps back; nothing installed yet.
      await ready.getByRole('button', { name: w.install }).click();
      const ask = updates.getByTestId('updates-confirm');
      await ask.waitFor();
      assert.match(await ask.textContent(), /0\.2\.0/);
      await screenshot(page, `e2e-about-update-confirm-${lang}.png`);
      await page.keyboard.press('Escape');
      await ask.waitFor({ state: 'detached' });
      assert.equal(await updates.count(), 1, 'Esc closed the question, not Settings');
      assert.equal((await calls()).filter((c) => c.cmd === 'install_update').length, 0);

      await ready.getByRole('button', { name: w.install }).click();
      await page.keyboard.press('Enter'); // the focus is on "Yes"
      await updates.getByTestId('updates-installing').waitFor();
      const sent = (await calls()).filter((c) => ['set_update_url', 'check_update', 'install_update'].includes(c.cmd));
      assert.deepEqual(sent, [
        { cmd: 'set_update_url', args: { url: 'http://updates.example/latest.json' } },
        { cmd: 'set_update_url', args: { url: 'https://updates.example/codetill/latest.json' } },
        { cmd: 'check_update', args: {} },
        { cmd: 'install_update', args: {} },
      ]);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  it('holds the install back during a sale, and says when this is the latest version', async () => {
    const shop = { updates: { url: 'https://updates.example/codetill/latest.json', offer: OFFER, saleUnderWay: true } };
    const { page, errors, calls } = await settings(shop, 'en');
    const updates = page.getByTestId('update-settings');
    await updates.getByRole('button', { name: words.en.check }).click();
    await updates.getByText(words.en.ready).waitFor();
    assert.equal(await updates.getByRole('button', { name: words.en.install }).isDisabled(), true);
    assert.equal(await updates.getByTestId('updates-not-now').textContent(), words.en.sale);
    await updates.scrollIntoViewIfNeeded();
    await screenshot(page, 'e2e-about-update-not-now-en.png');
    assert.equal((await calls()).filter((c) => c.cmd === 'install_update').length, 0);

    // Nothing newer offered: the latest.
    await page.close();
    const latest = await settings({ updates: { url: shop.updates.url } }, 'hi');
    const u = latest.page.getByTestId('update-settings');
    await u.getByRole('button', { name: words.hi.check }).click();
    await u.getByTestId('updates-latest').getByText(words.hi.latest).waitFor();
    assert.deepEqual(errors, []);
    assert.deepEqual(latest.errors, []);
    await latest.page.close();
  });

  it('a build with no release key says so and checks nothing', async () => {
    const { page, errors } = await settings({ updates: { url: 'https://updates.example/latest.json', signed: false } }, 'en');
    const updates = page.getByTestId('update-settings');
    await updates.getByTestId('updates-unsigned').waitFor();
    assert.equal(await updates.getByTestId('updates-check').isDisabled(), true);
    assert.equal(await updates.getByTestId('updates-state').textContent(), 'Updates are off');
    await updates.scrollIntoViewIfNeeded();
    await screenshot(page, 'e2e-about-update-unsigned-en.png');
    assert.deepEqual(errors, []);
    await page.close();
  });
});

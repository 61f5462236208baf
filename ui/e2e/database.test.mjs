// Settings → Database in the built UI, by keyboard: this till on its own file, a
// server's address typed into the password field and tested with Enter (progress,
// then what the server holds), Save offered only for the address that passed and
// kept for the next start; a server that refuses; a kept server forgotten after
// asking; the section read-only while CODETILL_DATABASE_URL chooses. English and
// Hindi; screenshots in artifacts/e2e-database-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const HINDI = 'हिन्दी';
const URL = 'postgres://codetill:hunter2@db.shop.example:5432/shop';
const SHOWN = 'postgres://codetill:***@db.shop.example:5432/shop';
const SERVER = {
  host: 'db.shop.example', server_version: 'PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu',
  orders: 1234, products: 5012, staff: 4, holds_shop: true, vault: 'same',
};

const words = {
  en: { file: 'This till’s own file (SQLite)', server: 'The shop’s server (PostgreSQL)', testing: 'Testing the server…',
    joins: 'This server already holds a shop with 1,234 orders, 5,012 products and 4 staff — this till will join it.',
    empty: 'Empty: this till’s shop will be created there.', saved: 'Restart codetill to use the server.', next: 'From the next start',
    forget: 'Forget the server', yes: 'Yes, forget it' },
  hi: { file: 'इस टिल की अपनी फ़ाइल (SQLite)', server: 'दुकान का सर्वर (PostgreSQL)', testing: 'सर्वर की जाँच हो रही है…',
    joins: 'इस सर्वर पर पहले से एक दुकान है: 1,234 ऑर्डर, 5,012 उत्पाद और 4 स्टाफ़ — यह टिल उसमें जुड़ जाएगा।',
    empty: 'खाली: इस टिल की दुकान वहाँ बनाई जाएगी।', saved: 'सर्वर इस्तेमाल करने के लिए codetill दोबारा शुरू करें।', next: 'अगली शुरुआत से',
    forget: 'सर्वर भूल जाएँ', yes: 'हाँ, भूल जाएँ' },
};

/** Settings (F9), in `lang`, scrolled to the Database section. */
async function database(shop, lang) {
  const opened = await openApp(browser, shop);
  if (lang === 'hi') await opened.page.getByRole('button', { name: HINDI }).click();
  await opened.page.keyboard.press('F9');
  const section = opened.page.getByTestId('database-settings');
  await section.getByTestId('database-store').waitFor();
  await section.scrollIntoViewIfNeeded();
  return { ...opened, section };
}

describe('Settings → Database', () => {
  for (const lang of ['en', 'hi']) {
    it(`tests a server by keyboard, keeps it for the next start (${lang})`, async () => {
      const w = words[lang];
      const { page, errors, calls, section } = await database({ database: { server: SERVER } }, lang);
      assert.equal(await section.getByTestId('database-store').textContent(), w.file);
      assert.equal(await section.getByTestId('database-location').inputValue(), '/home/asha/.local/share/codetill/codetill.db');
      assert.equal(await section.getByTestId('database-save').isDisabled(), true);
      await screenshot(page, `e2e-database-file-${lang}.png`);

      // Typed into the password field, Enter tests: progress, then the report.
      const url = section.getByTestId('database-url');
      assert.equal(await url.getAttribute('type'), 'password');
      await url.focus();
      await page.keyboard.type(URL);
      await page.keyboard.press('Enter');
      await section.getByText(w.testing).waitFor();
      assert.equal(await section.getByTestId('database-save').isDisabled(), true, 'no Save while testing');
      await section.getByTestId('database-report').waitFor();
      assert.equal(await section.getByTestId('database-shop').textContent(), w.joins);
      assert.equal(await section.getByTestId('database-report-url').textContent(), SHOWN);
      assert.match(await section.getByTestId('database-version').textContent(), /^PostgreSQL 15\.8/);
      await screenshot(page, `e2e-database-report-${lang}.png`);

      // The focus is on Save: Enter keeps it for the next start.
      await section.getByTestId('database-save').and(page.locator(':focus')).waitFor();
      await page.keyboard.press('Enter');
      await section.getByTestId('database-saved').getByText(w.saved).waitFor();
      const next = await section.getByTestId('database-next').textContent();
      assert.ok(next.includes(`${w.next}: ${w.server}`) && next.includes(SHOWN), next);
      // Still on its own file until the restart; the password never on the screen.
      assert.equal(await section.getByTestId('database-store').textContent(), w.file);
      assert.equal(await url.inputValue(), '');
      assert.equal((await page.content()).includes('hunter2'), false);
      await screenshot(page, `e2e-database-saved-${lang}.png`);

      const sent = (await calls()).filter((c) => c.cmd.startsWith('database_') && c.cmd !== 'database_status');
      assert.deepEqual(sent, [
        { cmd: 'database_test', args: { url: URL } },
        { cmd: 'database_save', args: { url: URL } },
      ]);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  it('shows a server that refuses and an address that is not postgres://, and saves neither', async () => {
    const { page, errors, calls, section } = await database({ database: { server: SERVER } }, 'en');
    const url = section.getByTestId('database-url');
    await url.fill('postgres://codetill:hunter2@127.0.0.1:1/shop');
    await url.press('Enter');
    const alert = section.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /could not be reached, or it refused the user, password or database/);
    assert.match(await alert.textContent(), /Connection refused/);
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    assert.equal(await section.getByTestId('database-save').isDisabled(), true);
    await screenshot(page, 'e2e-database-refused-en.png');

    await url.fill('mysql://codetill:hunter2@db.shop.example/shop');
    await url.press('Enter');
    await section.getByRole('alert').getByText(/is not postgres:\/\//).waitFor();
    assert.equal(await section.getByTestId('database-save').isDisabled(), true);
    assert.equal((await calls()).filter((c) => c.cmd === 'database_save').length, 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('forgets a kept server only after asking; read-only when the environment chooses', async () => {
    const w = words.en;
    const kept = { now: URL, kept: URL, server: { ...SERVER, orders: 0, products: 0, staff: 0, holds_shop: false } };
    const { page, errors, calls, section } = await database({ database: kept }, 'en');
    assert.equal(await section.getByTestId('database-store').textContent(), w.server);
    assert.equal(await section.getByTestId('database-location').inputValue(), SHOWN);
    await section.getByRole('button', { name: w.forget }).click();
    await section.getByTestId('database-confirm').waitFor();
    await screenshot(page, 'e2e-database-forget-en.png');
    // Esc steps back; the focus was on "Yes".
    await page.keyboard.press('Escape');
    await section.getByTestId('database-confirm').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('database-settings').count(), 1, 'Esc closed the question, not Settings');
    await section.getByRole('button', { name: w.forget }).click();
    await page.keyboard.press('Enter');
    await section.getByTestId('database-forgotten').waitFor();
    const next = await section.getByTestId('database-next').textContent();
    assert.ok(next.includes(`${w.next}: ${w.file}`), next);
    assert.equal((await calls()).filter((c) => c.cmd === 'database_forget').length, 1);
    assert.deepEqual(errors, []);
    await page.close();

    const env = await database({ database: { now: URL, fromEnv: true } }, 'hi');
    await env.section.getByTestId('database-env').waitFor();
    assert.match(await env.section.getByTestId('database-env').textContent(), /CODETILL_DATABASE_URL/);
    assert.equal(await env.section.getByTestId('database-url').count(), 0);
    assert.equal(await env.section.getByRole('button').count(), 0);
    await screenshot(env.page, 'e2e-database-env-hi.png');
    assert.deepEqual(env.errors, []);
    await env.page.close();
  });
});

// Running the store in the built UI: the PIN pad (a wrong PIN, the lock-out, the lock
// key), a cashier's screens, the shift from float to Z-report, reports with their
// charts and CSV export, staff, the audit log and reconciliation; screenshots of the
// PIN pad, reports and the shift's close in English and Hindi (ARTIFACTS/store-*.png).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openApp, screenshot, signIn } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const calls = async (page, cmd) => (await page.evaluate(() => window.__calls)).filter((c) => c.cmd === cmd);

describe('running the store', () => {
  it('the PIN pad: a wrong PIN says so, five lock it with a countdown, the right one signs in; Ctrl+L locks', async () => {
    const { page, errors } = await openApp(browser, { signIn: false });
    await page.getByTestId('pin-pad').waitFor();
    assert.equal(await page.getByRole('navigation').count(), 0, 'no screens before a PIN');
    await screenshot(page, 'store-pinpad-en.png');
    await page.keyboard.type('9999');
    await page.keyboard.press('Enter');
    assert.match(await page.getByTestId('pin-wrong').textContent(), /4 more tries/);
    for (let i = 0; i < 4; i += 1) {
      await page.keyboard.type('9999');
      await page.keyboard.press('Enter');
    }
    const lockout = page.getByTestId('pin-lockout');
    await lockout.waitFor();
    assert.match(await lockout.textContent(), /the PIN pad is locked/);
    assert.equal(await page.getByRole('button', { name: '1', exact: true }).isDisabled(), true);
    await screenshot(page, 'store-pinpad-lockout-en.png');
    assert.equal((await calls(page, 'sign_in')).length, 5);
    await page.close();

    const again = await openApp(browser, { signIn: false });
    await signIn(again.page, '1234');
    assert.match(await again.page.getByTestId('signed-in').textContent(), /Meera/);
    await again.page.keyboard.press('Control+l');
    await again.page.getByRole('heading', { name: 'The till is locked' }).waitFor();
    assert.equal((await calls(again.page, 'lock')).length, 1);
    assert.deepEqual(errors, []);
    await again.page.close();
  });

  it('a cashier sees the counter, orders and the shift only', async () => {
    const { page, errors } = await openApp(browser, { signIn: '3333' });
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.waitFor();
    assert.deepEqual((await nav.getByRole('button').allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim()), ['F2 Counter', 'F6 Orders', 'F11 Shift']);
    await page.keyboard.press('F10');
    assert.equal(await page.getByTestId('report-table').count(), 0, 'F10 is not a cashier\'s');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('the first run asks for the owner before anything else', async () => {
    const { page, errors } = await openApp(browser, { noStaff: true });
    await page.getByTestId('owner-setup').waitFor();
    await page.getByTestId('owner-name').fill('Meera');
    await page.getByTestId('owner-pin').fill('2580');
    await page.getByTestId('owner-pin-again').fill('2580');
    await screenshot(page, 'store-owner-en.png');
    await page.keyboard.press('Enter');
    await page.getByRole('combobox').waitFor();
    assert.deepEqual((await calls(page, 'create_owner'))[0].args, { name: 'Meera', pin: '2580' });
    assert.deepEqual(errors, []);
    await page.close();
  });

  for (const lang of ['en', 'hi']) {
    it(`reports and the shift in ${lang}`, async () => {
      const { page, errors } = await openApp(browser, {}, { width: 1280, height: 900 });
      await page.getByRole('combobox').waitFor();
      if (lang === 'hi') await page.getByRole('button', { name: 'हिन्दी' }).click();
      if (lang === 'hi') {
        // The PIN pad in Hindi, for its screenshot.
        await page.keyboard.press('Control+l');
        await page.getByTestId('pin-pad').waitFor();
        await screenshot(page, 'store-pinpad-hi.png');
        await signIn(page);
      }

      // Reports: this month by day, the charts, then by product, and the CSV.
      await page.keyboard.press('F10');
      await page.getByTestId('sales-chart').waitFor();
      await page.getByTestId('top-products').waitFor();
      assert.ok((await page.getByTestId('sales-chart').locator('rect.sales').count()) > 0);
      await screenshot(page, `store-reports-${lang}.png`);
      await page.getByTestId('by-product').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="report-table"]')?.textContent?.includes('STEAM-US-50'));
      assert.equal(await page.getByTestId('top-products').count(), 0);
      await page.getByTestId('export-csv').click();
      assert.match(await page.getByTestId('exported').textContent(), /exports\/sales-by-product-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv/);
      await screenshot(page, `store-reports-product-${lang}.png`);
      // One till's sales, by till: the other till's row is gone.
      await page.getByTestId('report-till').selectOption('counter-2');
      await page.getByTestId('by-till').click();
      await page.waitForFunction(() => {
        const table = document.querySelector('[data-testid="report-table"]')?.textContent ?? '';
        return table.includes('counter-2') && !table.includes('counter-1');
      });
      await screenshot(page, `store-reports-till-${lang}.png`);
      await page.getByTestId('report-till').selectOption('');
      await page.getByTestId('verify-audit').click();
      await page.getByTestId('audit-verdict').waitFor();
      await page.getByTestId('audit-verdict').scrollIntoViewIfNeeded();
      await screenshot(page, `store-audit-${lang}.png`);

      // The shift: open with a float, cash out, close short: the Z-report.
      await page.keyboard.press('F11');
      await page.getByTestId('float').fill('500');
      await page.keyboard.press('Enter');
      await page.getByTestId('expected').waitFor();
      await page.getByRole('radio', { name: lang === 'en' ? 'Cash out' : 'नकद निकाला' }).click();
      await page.getByTestId('move-amount').fill('1000');
      await page.getByTestId('move-reason').fill(lang === 'en' ? 'banked' : 'बैंक में जमा');
      await page.getByTestId('move-reason').press('Enter');
      await page.waitForFunction(() => document.querySelector('[data-testid="expected"]')?.textContent?.includes('6,096'));
      await page.getByTestId('counted').fill('6050');
      await page.getByTestId('counted').press('Enter');
      await page.getByTestId('z-report').waitFor();
      assert.match(await page.getByTestId('over-short').textContent(), lang === 'en' ? /Short/ : /कम/);
      assert.match(await page.getByTestId('over-short').textContent(), /46\.00/);
      assert.equal((await calls(page, 'close_shift'))[0].args.language, lang);
      await screenshot(page, `store-shift-z-${lang}.png`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  it('staff and reconciliation (the owner)', async () => {
    const { page, errors } = await openApp(browser, {}, { width: 1280, height: 900 });
    await page.getByRole('combobox').waitFor();
    await page.keyboard.press('F12');
    await page.getByTestId('staff-list').waitFor();
    await page.getByTestId('staff-name').fill('Kiran');
    await page.getByTestId('staff-role').selectOption('manager');
    await page.getByTestId('staff-pin').fill('4455');
    await page.getByTestId('staff-pin-again').fill('4455');
    await page.getByTestId('staff-pin-again').press('Enter');
    await page.getByRole('cell', { name: 'Kiran' }).waitFor();
    await page.getByTestId('toggle-Asha').click();
    await page.getByRole('row', { name: /Asha/ }).getByText('Disabled').waitFor();
    await screenshot(page, 'store-staff-en.png');

    await page.keyboard.press('F8');
    await page.getByTestId('reconcile').scrollIntoViewIfNeeded();
    await page.getByRole('button', { name: 'Reconcile', exact: true }).click();
    await page.getByTestId('findings').waitFor();
    await page.getByTestId('deliver-ORD-000043').click();
    await page.getByTestId('findings').getByText('Delivered', { exact: true }).waitFor();
    await page.getByTestId('reconcile').scrollIntoViewIfNeeded();
    await screenshot(page, 'store-reconcile-en.png');
    assert.deepEqual((await calls(page, 'reconcile_deliver'))[0].args, { order: 'ORD-000043' });
    assert.deepEqual(errors, []);
    await page.close();
  });
});

// Screenshots of the built UI (ui/dist) in headless Chromium, with the Rust side mocked:
// the counter with a quote, in English and in Hindi.
//
//   npm --prefix ui run build && node ui/scripts/screenshot.mjs [out-dir]
//
// Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM=path); playwright-core never
// downloads a browser. Out-dir defaults to artifacts/ at the repository root (git-ignored).

import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = resolve(here, '../dist');
const out = resolve(process.argv[2] ?? join(here, '../../artifacts'));
const ORIGIN = 'http://codetill.ui';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

// Runs in the page before the app: a stand-in for the Rust commands.
function mockTauri() {
  const money = (amount, currency = 'INR') => ({ amount, currency });
  const p = (sku, name, brand, category, region, face, retail, inStock = true, extra = {}) => ({
    id: sku.length, sku, name, brand, category, region, face_value: face, wholesale: retail,
    retail, in_stock: inStock, redeem_url: null, redeem_instructions: null,
    supplier_updated_at: '2026-03-01T09:00:00.000Z', discontinued: false, ...extra,
  });
  const catalog = [
    p('STEAM-US-20', 'Steam Wallet $20', 'Steam', 'gift_card', 'US', money('20.00', 'USD'), money('1899.00'), true,
      { redeem_instructions: 'Steam → Add funds → Redeem a Steam Gift Card' }),
    p('STEAM-US-50', 'Steam Wallet $50', 'Steam', 'gift_card', 'US', money('50.00', 'USD'), money('4699.00')),
    p('STEAM-IN-1000', 'Steam Wallet ₹1,000', 'Steam', 'gift_card', 'IN', money('1000.00'), money('1000.00'), false),
    p('JIO-IN-239', 'जियो ₹239 अनलिमिटेड', 'Jio', 'mobile_topup', 'IN', money('239.00'), money('239.00')),
  ];
  const words = (s) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  window.__TAURI_INTERNALS__ = {
    transformCallback: () => 0,
    invoke: async (cmd, args) => {
      if (cmd === 'search_products') {
        const q = words(args.query);
        return catalog.filter((x) => q.every((w) => words(`${x.sku} ${x.name} ${x.brand} ${x.region}`).some((f) => f.startsWith(w))));
      }
      if (cmd === 'app_info') {
        return { version: '0.1.0', data_dir: '/demo', db_path: '/demo/codetill.db', product_count: 1284,
          last_sync: { id: 1, kind: 'full', status: 'ok', started_at: '2026-03-01T08:59:00.000Z',
            finished_at: '2026-03-01T09:00:00.000Z', received: 1284, inserted: 1284, updated: 0,
            discontinued: 0, skipped: 0, error: null } };
      }
      throw { code: 'errors.validation', message: `no mock for ${cmd}` };
    },
  };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(dist, path === '/' ? 'index.html' : path);
    try {
      await route.fulfill({ body: await readFile(file), contentType: TYPES[extname(file)] ?? 'application/octet-stream' });
    } catch {
      await route.fulfill({ status: 404, body: 'not found' });
    }
  });
  await page.addInitScript(mockTauri);
  await page.goto(`${ORIGIN}/`);
  await page.keyboard.type('steam');
  await page.getByRole('option').first().waitFor();
  await page.keyboard.press('Enter');
  await page.getByTestId('quote-price').waitFor();
  await page.evaluate(() => document.fonts.ready);
  await mkdir(out, { recursive: true });
  await page.screenshot({ path: join(out, 'counter-en-chromium.png') });

  await page.getByRole('button', { name: 'हिन्दी' }).click();
  await page.getByRole('combobox').focus();
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(out, 'counter-hi-chromium.png') });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
}

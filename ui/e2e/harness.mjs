// Playwright (playwright-core + Debian's Chromium) against the built UI (ui/dist), with
// the Rust side replaced by a mock in the page: every invoke is answered from a small
// shop and recorded in `window.__calls`. Never downloads a browser.

import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = resolve(here, '../dist');
export const ARTIFACTS = resolve(process.env.ARTIFACTS ?? join(here, '../../artifacts'));
const ORIGIN = 'http://codetill.ui';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A page on the built UI with the mocked shop. `shop` tunes it:
 * `{ demo, supplier, sale: 'delivered' | 'refund_due' | 'open', printer: string | null,
 *    printerOff, emailReady }` (printer defaults to a PDF folder; printerOff: the
 * receipt waits with "printer is off" until printed again).
 */
export async function openApp(browser, shop = {}, viewport = { width: 1200, height: 800 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(dist, path === '/' ? 'index.html' : path);
    try {
      await route.fulfill({ body: await readFile(file), contentType: TYPES[extname(file)] ?? 'application/octet-stream' });
    } catch {
      await route.fulfill({ status: 404, body: 'not found' });
    }
  });
  await page.addInitScript(mockTauri, shop);
  await page.goto(`${ORIGIN}/`);
  return { page, errors, calls: () => page.evaluate(() => window.__calls) };
}

export async function screenshot(page, name) {
  await page.evaluate(() => document.fonts.ready);
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  return path;
}

// Runs in the page before the app: a stand-in for src-tauri's commands.
function mockTauri(shop) {
  const money = (amount, currency = 'INR') => ({ amount, currency });
  const p = (sku, name, brand, category, region, face, retail, extra = {}) => ({
    id: sku.length, sku, name, brand, category, region, face_value: face, wholesale: retail, retail,
    in_stock: true, redeem_url: null, redeem_instructions: null,
    supplier_updated_at: '2026-03-01T09:00:00.000Z', discontinued: false, ...extra,
  });
  const catalog = [
    p('STEAM-US-20', 'Steam Wallet $20', 'Steam', 'gift_card', 'US', money('20.00', 'USD'), money('1899.00'), {
      redeem_url: 'https://store.steampowered.com/account/redeemwalletcode',
      redeem_instructions: 'Steam → Add funds → Redeem a Steam Gift Card',
    }),
    p('STEAM-US-50', 'Steam Wallet $50', 'Steam', 'gift_card', 'US', money('50.00', 'USD'), money('4699.00')),
    p('JIO-IN-239', 'जियो ₹239 अनलिमिटेड', 'Jio', 'mobile_topup', 'IN', money('239.00'), money('239.00')),
  ];
  const words = (s) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const orders = [];
  /** Receipt prints and emails by order id, oldest first (the till's outbox). */
  const outbox = new Map();
  const printer = shop.printer === undefined ? 'pdf:/demo/receipts' : shop.printer;
  let outboxId = 1;
  const calls = (window.__calls = []);
  const listeners = new Map();
  let nextId = 1;

  function sale(product, paid) {
    const n = orders.length + 42;
    const base = {
      order_id: `ORD-0000${n}`, client_order_id: `ct-${n}`, sku: product.sku, name: product.name,
      region: product.region, price: product.retail.amount, currency: product.retail.currency, paid,
      redeem_url: product.redeem_url, redeem_instructions: product.redeem_instructions, failure: null,
      refund: null, staff: 'asha', till_id: null, created_at: new Date().toISOString(),
      paid_at: new Date().toISOString(), delivered_at: null, attempts: 1, supplier_status: null,
    };
    let order;
    if (shop.sale === 'refund_due') {
      order = { ...base, status: 'refund_due', failure: { code: 'out_of_stock', message: 'sku out of stock' },
        outcome: { outcome: 'refund_due', code: 'out_of_stock', message: 'sku out of stock' } };
    } else if (shop.sale === 'open') {
      order = { ...base, status: 'unknown', outcome: { outcome: 'open', reason: 'the supplier did not answer in time' } };
    } else {
      order = { ...base, status: 'delivered', delivered_at: new Date().toISOString(),
        codes: [{ code: 'WX7KM-Q2P9R-T4HZD', pin: null, serial: 'SN-482913775', expires_at: null }],
        outcome: { outcome: 'delivered' } };
    }
    orders.unshift(order);
    return order;
  }

  function handover(kind, destination, extra = {}) {
    return { id: outboxId++, kind, destination, status: 'queued', reprint_no: null, attempts: 0,
      last_error: null, sent_at: null, ...extra };
  }

  /** One try at a print or an email, as the outbox worker would. */
  function attempt(item) {
    item.attempts += 1;
    if (item.kind === 'print' && shop.printerOff) {
      item.last_error = 'printer is off or out of paper';
    } else if (item.kind === 'email' && !shop.emailReady) {
      item.last_error = 'no mail server is set up';
    } else {
      item.status = 'sent';
      item.last_error = null;
      item.sent_at = new Date().toISOString();
    }
    return item;
  }

  /** After a delivered sale: the receipt and the email wait a moment in the background. */
  function queueHandover(order, email) {
    const items = [];
    if (printer) items.push(handover('print', printer));
    if (email) items.push(handover('email', email));
    outbox.set(order.order_id, items);
    setTimeout(() => items.forEach(attempt), 700);
  }

  function sold(order, email) {
    if (order.status === 'delivered') queueHandover(order, email);
    return order;
  }

  function minus(a, b) {
    // Exact: both are two-decimal strings here.
    const cents = (s) => BigInt(s.replace('.', ''));
    const d = cents(a) - cents(b);
    return `${d / 100n}.${String(d % 100n).padStart(2, '0')}`;
  }

  const commands = {
    app_info: () => ({
      version: '0.1.0', data_dir: '/demo', db_path: '/demo/codetill.db',
      product_count: shop.supplier === false ? 0 : 1284,
      last_sync: shop.supplier === false ? null : { id: 1, kind: 'full', status: 'ok', started_at: '2026-03-01T08:59:00.000Z',
        finished_at: '2026-03-01T09:00:00.000Z', received: 1284, inserted: 1284, updated: 0, discontinued: 0, skipped: 0, error: null },
      supplier_configured: shop.supplier !== false, demo: !!shop.demo, demo_requested: false,
    }),
    search_products: ({ query }) => {
      const q = words(query);
      return catalog.filter((x) => q.every((w) => words(`${x.sku} ${x.name} ${x.brand} ${x.region}`).some((f) => f.startsWith(w))));
    },
    quote: ({ sku }) => {
      const x = catalog.find((c) => c.sku === sku);
      if (!x) throw { code: 'errors.unknown_sku', message: `unknown sku "${sku}"` };
      return { product: x, price: x.retail, wholesale: x.wholesale, available_quantity: null, margin: money('100.00') };
    },
    sell_cash: async ({ sku, tendered, email }) => {
      const x = catalog.find((c) => c.sku === sku);
      await new Promise((r) => setTimeout(r, 300)); // the supplier takes a moment
      return sold(sale(x, { method: 'cash', amount: x.retail.amount, tendered, change: minus(tendered, x.retail.amount),
        reference: null, staff: 'asha', taken_at: new Date().toISOString() }), email);
    },
    sell_card: async ({ sku, terminalRef, email }) => {
      const x = catalog.find((c) => c.sku === sku);
      await new Promise((r) => setTimeout(r, 300));
      return sold(sale(x, { method: 'card', amount: x.retail.amount, tendered: null, change: null,
        reference: terminalRef, staff: 'asha', taken_at: new Date().toISOString() }), email);
    },
    delivery_status: ({ order }) => {
      if (!outbox.has(order)) throw { code: 'errors.not_found', message: `no order ${order}` };
      return { printer, email_ready: !!shop.emailReady, items: structuredClone(outbox.get(order)) };
    },
    print_receipt: async ({ order }) => {
      if (!printer) throw { code: 'errors.no_printer', message: 'no receipt printer is set up' };
      const items = outbox.get(order);
      await new Promise((r) => setTimeout(r, 300));
      const printed = items.filter((i) => i.kind === 'print' && i.status === 'sent').length;
      // The printer is back: a receipt that never printed prints now, else a numbered reprint.
      shop.printerOff = false;
      const waiting = items.find((i) => i.kind === 'print' && i.status === 'queued');
      if (waiting) return structuredClone(attempt(waiting));
      const item = handover('print', printer, { reprint_no: printed > 0 ? printed : null });
      items.push(item);
      return structuredClone(attempt(item));
    },
    email_code: async ({ order, to }) => {
      const items = outbox.get(order);
      const address = to ?? items.find((i) => i.kind === 'email')?.destination;
      if (!address || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
        throw { code: 'errors.validation', message: `"${address ?? ''}" is not an email address` };
      }
      await new Promise((r) => setTimeout(r, 300));
      const item = handover('email', address);
      items.push(item);
      return structuredClone(attempt(item));
    },
    receipt_preview: ({ order, language }) => {
      const o = orders.find((x) => x.order_id === order);
      const hi = language === 'hi';
      return [
        '          CODETILL DEMO SHOP',
        '        12 MG Road, Bengaluru',
        '----------------------------------------',
        `${hi ? 'ऑर्डर' : 'Order'}      ${o.order_id}`,
        `${o.name}`,
        `${hi ? 'कीमत' : 'Price'}                      ₹${o.price}`,
        `${hi ? 'कोड' : 'CODE'}   ${o.codes?.[0]?.code ?? ''}`,
        '----------------------------------------',
        hi ? '        धन्यवाद!' : '        Thank you!',
      ].join('\n');
    },
    list_orders: () => orders.map(({ codes, outcome, ...o }) => o),
    open_orders: () => orders.filter((o) => ['paid', 'ordering', 'unknown'].includes(o.status)).map(({ codes, outcome, ...o }) => o),
    start_demo: async () => {
      for (const done of [1000, 3000, 5000]) {
        for (const [id, handler] of listeners) if (handler.event === 'catalog-sync-progress') {
          window[`_${handler.cb}`]?.({ event: 'catalog-sync-progress', id, payload: { stage: 'fetching', done, total: 5000 } });
        }
        await new Promise((r) => setTimeout(r, 150));
      }
      shop.demo = true;
      shop.supplier = true;
      return null;
    },
    'plugin:event|listen': ({ event, handler }) => {
      const id = nextId++;
      listeners.set(id, { event, cb: handler });
      return id;
    },
    'plugin:event|unlisten': ({ eventId }) => {
      listeners.delete(eventId);
      return null;
    },
  };

  window.__TAURI_INTERNALS__ = {
    transformCallback: (cb) => {
      const id = nextId++;
      window[`_${id}`] = cb;
      return id;
    },
    unregisterCallback: (id) => delete window[`_${id}`],
    invoke: async (cmd, args = {}) => {
      calls.push({ cmd, args: JSON.parse(JSON.stringify(args)) });
      const run = commands[cmd];
      if (!run) throw { code: 'errors.validation', message: `no mock for ${cmd}` };
      return run(args);
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };
}

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
 * A page on the built UI with the mocked shop, signed in at the PIN pad as the owner
 * (PIN 1234) unless `shop.signIn` is false or names another PIN (Asha the cashier has
 * 3333, Ravi the manager 2222). `shop.noStaff`: a first run, asking for the owner.
 * `shop` tunes the rest:
 * `{ demo, supplier, sale: 'delivered' | 'refund_due' | 'open' | 'claim', printer: string | null,
 *    printerOff, emailReady, remoteQr, noProvider }` (printer defaults to a PDF folder;
 * printerOff: the receipt waits with "printer is off" until printed again; remoteQr:
 * the SVG a remote sale's link answers with; noProvider: no payment provider is set
 * up; drawer: the till has a cash drawer; tax: `{ taxId, rates: { gift_card: '18' } }`,
 * a tax invoice on every sale; refuseSku: a basket's units of this sku are refused
 * after payment; claimSku: a basket's units of this sku are taken as claims; claims:
 * `{ enabled, limit }`, the owner's claim terms; sale 'claim': a single sale is taken as a
 * claim, its slip queued; updates: `{ url, signed, offer: { version, notes }, saleUnderWay }`, the
 * owner's update address (null: off), whether the build carries a release key (default yes), the
 * update the address offers (null: none) and a sale under way at this till; an open shift blocks
 * the install too); database: `{ now, kept, fromEnv, server: { host, server_version, orders, products,
 * staff, holds_shop, vault } }`, Settings → Database (now/kept: a URL or null for this till's
 * file; a test reaches only a URL naming `server.host`). `window.__payRemote(orderId)` plays the relay: the order is paid, delivered
 * and its email sent a moment later.
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
  if (shop.signIn !== false && !shop.noStaff) await signIn(page, shop.signIn ?? '1234');
  return { page, errors, calls: () => page.evaluate(() => window.__calls) };
}

/** Types `pin` on the PIN pad's keys (the keyboard) and Enter, and waits for the pad to go. */
export async function signIn(page, pin = '1234') {
  await page.getByTestId('pin-pad').waitFor();
  await page.keyboard.type(pin);
  await page.keyboard.press('Enter');
  await page.getByTestId('pin-pad').waitFor({ state: 'detached' });
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
    // Sold at the amount the buyer chooses (a Reloadly RANGE product), 95 INR a euro.
    p('AMAZON-DE-OPEN', 'Amazon.de Gift Card', 'Amazon', 'gift_card', 'DE', money('10.00', 'EUR'), money('950.00'), {
      open_amount: { min: money('10.00', 'EUR'), max: money('500.00', 'EUR') },
    }),
  ];
  /** The product as sold at `amount` (an open-amount product's face value). */
  const atAmount = (x, amount) => (amount && x.open_amount
    ? { ...x, face_value: money(amount, 'EUR'), retail: money((Number(amount) * 95).toFixed(2)) } : x);
  shop.accounts = shop.accounts ?? [];
  shop.rates = shop.rates ?? {
    shop_currency: 'INR', source_url: 'https://rates.example/eurofxref-daily.xml',
    rates: [
      { from: 'USD', to: 'INR', rate: '83.2512', source: 'ecb', as_of: '2026-03-14', age_days: 0, stale: false },
      { from: 'EUR', to: 'INR', rate: '95.00', source: 'owner', as_of: '2026-03-02', age_days: 12, stale: true },
    ],
  };
  shop.daily = shop.daily ?? { hour: 3, last_run: '2026-03-14T03:00:04.000Z' };
  const words = (s) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const orders = [];
  /** The buyer's address of each remote order. */
  const remoteEmails = new Map();
  window.__payRemote = (id) => {
    const o = orders.find((x) => x.order_id === id);
    o.status = 'delivered';
    o.paid_at = o.delivered_at = new Date().toISOString();
    const mail = handover('email', remoteEmails.get(id));
    outbox.set(id, [mail]);
    setTimeout(() => attempt(mail), 700);
  };
  // Plays recovery once the supplier answers: the claim is bought and delivered.
  window.__deliverClaim = (number) => {
    const o = orders.find((x) => x.claim?.number === number);
    Object.assign(o, { status: 'delivered', delivered_at: new Date().toISOString(), outcome: { outcome: 'delivered' },
      codes: [{ code: 'CL4IM-Q2P9R-T4HZD', pin: null, serial: null, expires_at: null }] });
  };
  /** Receipt prints and emails by order id, oldest first (the till's outbox). */
  const outbox = new Map();
  const printer = shop.printer === undefined ? 'pdf:/demo/receipts' : shop.printer;
  let outboxId = 1;
  const calls = (window.__calls = []);
  const starter = { fee_pct: '3', fx_pct: '2', margin_pct: '8', rounding: '.99', floor: null };
  shop.rules = { global: starter, by_category: { mobile_topup: { fee_pct: '2', fx_pct: '0', margin_pct: '4', rounding: 'none', floor: money('2.00') } } };
  shop.alertList = [
    { id: 4, kind: 'balance_low', message: 'The supplier balance 18250.00 INR is below the alert threshold 20000 INR. Top up the supplier account.',
      facts: { below: 'threshold', threshold: '20000.00', balance: '18250.00', currency: 'INR' }, order_ref: null, created_at: '2026-03-14T09:00:00.000Z', state: 'open' },
    { id: 3, kind: 'price_drift', message: 'The last catalog sync moved 37 wholesale price(s) by more than 3% (largest: STEAM-US-20 +4.7%). Check your margins.',
      facts: { count: 37, sku: 'STEAM-US-20', pct: '4.7' }, order_ref: null, created_at: '2026-03-14T08:00:00.000Z', state: 'open' },
    { id: 2, kind: 'refund_due', message: 'ORD-000043 जियो ₹239 अनलिमिटेड: the supplier refused (out of stock) after payment. Give 239.00 INR back and record the refund on the Orders screen.',
      facts: { order: 'ORD-000043', name: 'जियो ₹239 अनलिमिटेड', price: '239.00', currency: 'INR', reason: 'out of stock' }, order_ref: 'ORD-000043', created_at: '2026-03-13T12:10:00.000Z', state: 'acknowledged' },
  ];
  shop.settingsView = {
    supplier_url: 'https://api.wholesale.example/', supplier_url_from_env: false, supplier_key_set: true,
    shop_name: 'Asha Mobile & Gifts', shop_address: '12 MG Road, Pune 411001', till_id: 'till-1', language: 'en',
    data_dir: '/home/asha/.local/share/codetill', printer: 'tcp://192.168.1.50:9100', smtp_url: null,
    smtp_password_set: false, secrets_error: null,
    relay_url: 'https://relay.asha-mobile.example', relay_url_from_env: false, relay_token_set: true,
    stripe_api_url: null, stripe_api_url_from_env: false, stripe_success_url: 'https://asha-mobile.example/thanks', stripe_key_set: true,
    btcpay_url: null, btcpay_url_from_env: false, btcpay_store_id: null, btcpay_store_id_from_env: false, btcpay_key_set: false,
  };
  // As core judges it: the relay needs its address and token, Stripe its key, BTCPay
  // its server, store and key.
  function withReadiness(v) {
    const state = (ready, problem) => ({ ready, problem: ready ? null : problem });
    v.remote = {
      relay: state(!!v.relay_url && v.relay_token_set, 'no relay client token'),
      stripe: state(v.stripe_key_set, 'stripe is not configured: no API key'),
      btcpay: state(!!v.btcpay_url && !!v.btcpay_store_id && v.btcpay_key_set, 'btcpay is not configured: no server URL'),
    };
    return v;
  }
  withReadiness(shop.settingsView);
  const listeners = new Map();
  let nextId = 1;

  // The staff and who is signed in; the backend refuses everything else while nobody is.
  shop.staff = shop.noStaff ? [] : [
    { id: 1, name: 'Meera', role: 'owner', enabled: true, locked_until: null, created_at: '2026-03-01T08:00:00.000Z', pin: '1234' },
    { id: 2, name: 'Ravi', role: 'manager', enabled: true, locked_until: null, created_at: '2026-03-02T08:00:00.000Z', pin: '2222' },
    { id: 3, name: 'Asha', role: 'cashier', enabled: true, locked_until: null, created_at: '2026-03-03T08:00:00.000Z', pin: '3333' },
  ];
  shop.session = null;
  shop.wrongPins = 0;
  const OPEN = new Set(['session_state', 'sign_in', 'create_owner', 'lock', 'app_info', 'counter_ready',
    'plugin:event|listen', 'plugin:event|unlisten', 'take_alert_notifications', 'notify_desktop', 'supplier_status']);
  const member = ({ pin, ...m }) => m;
  const audit = [
    { id: 1, at: '2026-03-01T08:00:00.000Z', actor: 'first run', action: 'staff', order_id: null, detail: 'added Meera as owner' },
    { id: 2, at: '2026-03-02T08:00:00.000Z', actor: 'Meera', action: 'staff', order_id: null, detail: 'added Ravi as manager' },
    { id: 3, at: '2026-03-03T08:00:00.000Z', actor: 'Meera', action: 'staff', order_id: null, detail: 'added Asha as cashier' },
    { id: 4, at: '2026-03-13T12:11:00.000Z', actor: 'Asha', action: 'refused', order_id: 43, detail: 'reveal: a cashier may not show a code again: ask a manager (ORD-000043)' },
    { id: 5, at: '2026-03-13T12:20:00.000Z', actor: 'Ravi', action: 'refund', order_id: 43, detail: 'cash 239.00 INR' },
    { id: 6, at: '2026-03-14T09:05:00.000Z', actor: 'Meera', action: 'prices', order_id: null, detail: 'rule for gift_card: fee 3%, fx 2%, margin 8%, rounding .99; 311 of 1284 products repriced' },
  ].map((r, i) => ({ ...r, prev_hash: String(i).repeat(64), hash: String(i + 1).repeat(64) }));

  // A month of sales: every day's figures from a fixed pattern, so screenshots are stable.
  const PRODUCTS = [
    ['STEAM-US-20', 'Steam Wallet $20', 'gift_card', 1899, 0.11], ['STEAM-US-50', 'Steam Wallet $50', 'gift_card', 4699, 0.1],
    ['JIO-IN-239', 'जियो ₹239 अनलिमिटेड', 'mobile_topup', 239, 0.03], ['PSN-IN-1000', 'PlayStation ₹1000', 'game_topup', 1000, 0.08],
    ['WIN11-PRO', 'Windows 11 Pro', 'software_key', 8999, 0.22], ['AMAZON-DE-OPEN', 'Amazon.de Gift Card', 'gift_card', 2850, 0.06],
  ];
  function salesOf(day) {
    const d = new Date(`${day}T12:00:00`);
    const n = d.getDate();
    return PRODUCTS.map(([sku, name, category, price, margin], i) => {
      const count = (n * (i + 3) + d.getDay() * 2) % (i === 2 ? 9 : 5);
      return { sku, name, category, count, sales: count * price, cost: Math.round(count * price * (1 - margin)), staff: n % 3 ? 'Asha' : 'Ravi', payment: (n + i) % 3 ? 'cash' : 'card', till: (n + i) % 2 ? 'counter-1' : 'counter-2' };
    });
  }
  const cents = (x) => `${Math.round(x)}.00`;
  function salesRow(key, rows, name) {
    const sales = rows.reduce((a, r) => a + r.sales, 0);
    const cost = rows.reduce((a, r) => a + r.cost, 0);
    const orders = rows.reduce((a, r) => a + r.count, 0);
    return { key, ...(name ? { name } : {}), currency: 'INR', orders, codes: orders, sales: money(cents(sales)), cost: money(cents(cost)),
      margin: money(cents(sales - cost)), margin_pct: sales > 0 ? (((sales - cost) / sales) * 100).toFixed(2) : null };
  }
  function salesReport({ from, to, by, till }) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to)) throw { code: 'errors.validation', message: 'from: not a date (YYYY-MM-DD)' };
    if (to < from) throw { code: 'errors.validation', message: `to: ${to} is before ${from}` };
    const days = [];
    for (let d = new Date(`${from}T12:00:00`); d <= new Date(`${to}T12:00:00`); d.setDate(d.getDate() + 1)) {
      const p = (x) => String(x).padStart(2, '0');
      days.push(`${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`);
    }
    const all = days.flatMap((day) => salesOf(day).filter((r) => !till || r.till === till).map((r) => ({ ...r, day, month: day.slice(0, 7), week: (() => {
      const d = new Date(`${day}T12:00:00`);
      d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
      const p = (x) => String(x).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
    })(), product: r.sku, supplier: 'api.wholesale.example' })));
    const groups = new Map();
    for (const r of all) {
      if (r.count === 0) continue;
      const k = r[by];
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(r);
    }
    let rows = [...groups].map(([k, rs]) => salesRow(k, rs, by === 'product' ? rs[0].name : undefined));
    if (['day', 'week', 'month'].includes(by)) rows.sort((a, b) => a.key.localeCompare(b.key));
    else rows.sort((a, b) => Number(b.sales.amount) - Number(a.sales.amount));
    const sold = all.filter((r) => r.count > 0);
    return { from, to, by, ...(till ? { till } : {}), rows, totals: sold.length ? [salesRow('total', sold)] : [] };
  }

  // This till's shift: none open until one is opened.
  const inr = (n) => money(Number(n).toFixed(2));
  shop.shift = null;
  shop.moves = [];
  shop.z = 6;
  function xReport(kind = 'x', counted = null) {
    const s = shop.shift;
    const cashSales = 6835;
    const moved = (k) => shop.moves.filter((m) => m.kind === k).reduce((a, m) => a + Number(m.amount.amount), 0);
    const expected = Number(s.float.amount) + cashSales - 239 + moved('in') - moved('out');
    return {
      kind, z_number: kind === 'z' ? shop.z : null, till_id: 'till-1', currency: 'INR', opened_by: s.opened_by, opened_at: s.opened_at,
      closed_by: kind === 'z' ? (shop.session?.name ?? null) : null, closed_at: kind === 'z' ? new Date().toISOString() : null, at: new Date().toISOString(),
      sales: [{ method: 'cash', count: 4, amount: inr(cashSales) }, { method: 'card', count: 2, amount: inr(9398) }], sales_count: 6, sales_total: inr(16233),
      refunds: [{ method: 'cash', count: 1, amount: inr(239) }], refunds_count: 1, refunds_total: inr(239), net: inr(15994), codes_issued: 5,
      cost: inr(14508.6), margin: inr(1485.4), margin_pct: '9.29',
      cash: { float: s.float, cash_sales: inr(cashSales), cash_refunds: inr(239), cash_in: inr(moved('in')), cash_out: inr(moved('out')),
        expected: inr(expected), counted: counted === null ? null : inr(counted), over_short: counted === null ? null : inr(Number(counted) - expected) },
      cash_moves: structuredClone(shop.moves),
    };
  }
  function reportText(r, language) {
    const hi = language === 'hi';
    const line = (a, b) => `${a}${' '.repeat(Math.max(1, 42 - a.length - b.length))}${b}`;
    return [
      '           ASHA MOBILE & GIFTS',
      r.kind === 'z' ? `              ${hi ? 'Z-रिपोर्ट' : 'Z-REPORT'} #${r.z_number}` : `               ${hi ? 'X-रिपोर्ट' : 'X-REPORT'}`,
      '------------------------------------------',
      line(hi ? 'बिक्री' : 'Sales', `₹${r.sales_total.amount}`),
      line(hi ? 'रिफ़ंड' : 'Refunds', `₹${r.refunds_total.amount}`),
      line(hi ? 'मार्जिन' : 'Margin', `₹${r.margin.amount} (${r.margin_pct}%)`),
      '------------------------------------------',
      line(hi ? 'अपेक्षित नकद' : 'Expected cash', `₹${r.cash.expected.amount}`),
      ...(r.cash.counted ? [line(hi ? 'गिना गया' : 'Counted', `₹${r.cash.counted.amount}`), line(hi ? 'अधिक/कम' : 'Over/short', `₹${r.cash.over_short.amount}`)] : []),
    ].join('\n');
  }

  // The shop's tax invoicing (the owner's settings) and its buyers on record.
  shop.taxView = {
    tax_id: shop.tax?.taxId ?? null, prefix: 'INV', fy_start_month: 4,
    rates: Object.entries(shop.tax?.rates ?? {}).map(([category, rate]) => ({ category, rate })),
  };
  shop.retention = null;
  shop.buyers = [];
  // Updates: off in a build that can update itself, nothing offered, unless the test says.
  shop.updates = { url: null, signed: true, offer: null, saleUnderWay: false, ...shop.updates };
  const updateView = () => ({ current: '0.1.0', url: shop.updates.url, signed_build: shop.updates.signed });
  const notNow = () => (shop.updates.saleUnderWay ? 'sale_under_way' : shop.shift ? 'shift_open' : null);
  const ownerOnly = () => {
    if (shop.session?.role !== 'owner') throw { code: 'errors.not_allowed', message: `${shop.session?.name} may not change the settings` };
  };
  // Settings → Database: this till on its own file, the server it may be moved to
  // (`shop.database.server`: what a test of a postgres:// address finds), a URL kept
  // for the next start, or the environment choosing (`fromEnv`).
  shop.database = {
    file: '/home/asha/.local/share/codetill/codetill.db', now: null, kept: null, fromEnv: false, server: null, ...shop.database,
  };
  const shownUrl = (u) => u.replace(/^(postgres(?:ql)?:\/\/[^:@/]+):[^@/]*@/, '$1:***@');
  const place = (url) => (url ? { store: 'postgres', location: shownUrl(url) } : { store: 'sqlite', location: shop.database.file });
  const databaseStatus = () => {
    const d = shop.database;
    const next = d.fromEnv || d.kept === d.now ? null : place(d.kept);
    return { now: place(d.now), from_env: d.fromEnv, next, keyring_error: null };
  };
  const testDatabase = async (url) => {
    const u = url.trim();
    if (!/^postgres(ql)?:\/\//.test(u)) {
      throw { code: 'errors.validation', message: `cannot open database ${shownUrl(u)}: error with configuration: the shop's database URL is not postgres://… (unset, the data folder's SQLite file is used)` };
    }
    await new Promise((r) => setTimeout(r, 600)); // a server across the network
    const server = shop.database.server;
    if (!server || !u.includes(server.host)) {
      throw { code: 'errors.database_server', message: `the database server ${shownUrl(u)} cannot be reached: error communicating with database: Connection refused (os error 111)` };
    }
    const { host, ...found } = server;
    return { url: shownUrl(u), ...found };
  };
  let invoiceNo = 0;
  /** An order's inclusive tax and its invoice, as core splits and numbers them. */
  function taxed(order, category, buyer) {
    const rate = shop.taxView.rates.find((r) => r.category === category)?.rate;
    if (rate) {
      const c = BigInt(order.price.replace('.', ''));
      const r = BigInt(Math.round(Number(rate) * 100));
      const tax = (c * r * 2n + (10000n + r)) / (2n * (10000n + r)); // rounded half up
      const two = (x) => `${x / 100n}.${String(x % 100n).padStart(2, '0')}`;
      order.tax = { rate, amount: two(tax), net: two(c - tax) };
    }
    if (shop.taxView.tax_id) {
      invoiceNo += 1;
      order.invoice = { number: `${shop.taxView.prefix}/2026-27/${String(invoiceNo).padStart(6, '0')}`,
        shop_tax_id: shop.taxView.tax_id, buyer_tax_id: buyer?.tax_id ?? null };
    }
    return order;
  }
  /** The buyer typed at the counter, kept with the order (and on record) as core does. */
  function withBuyer(order, buyer, email) {
    if (!buyer?.phone && !email) return order;
    if (buyer?.name) order.buyer_name = buyer.name;
    if (buyer?.phone) order.buyer_phone = buyer.phone.replace(/[\s-]/g, '');
    if (email) order.email = email;
    let b = shop.buyers.find((x) => (order.buyer_phone && x.phone === order.buyer_phone) || (email && x.email === email));
    if (!b) {
      b = { id: shop.buyers.length + 1, name: buyer?.name ?? null, phone: order.buyer_phone ?? null, email: email ?? null,
        created_at: order.created_at, last_seen_at: order.created_at, orders: 0 };
      shop.buyers.push(b);
    }
    b.orders += 1;
    return order;
  }

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
    } else if (shop.sale === 'claim') {
      order = asClaim(base);
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

  /** The order taken as a claim: paid, open, its slip numbered after the order. */
  function asClaim(o) {
    const number = o.order_id.replace('ORD-', 'CLM-');
    return Object.assign(o, { status: 'paid', codes: undefined, delivered_at: null, supplier_status: null,
      claim: { number, taken_at: o.paid_at ?? new Date().toISOString() },
      outcome: { outcome: 'open', reason: `taken as claim ${number}: the code is bought the moment the supplier answers` } });
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
    // A claim's slip is queued as a delivered sale's receipt is.
    if (order.status === 'delivered' || order.claim) queueHandover(order, email);
    return order;
  }

  /** A basket: every unit its own order (refuseSku's refused after payment), paid once. */
  async function basket({ lines, tendered, terminalRef, email, buyer }, method) {
    await new Promise((r) => setTimeout(r, 300));
    const cents = (s) => BigInt(s.replace('.', ''));
    const two = (x) => `${x / 100n}.${String(x % 100n).padStart(2, '0')}`;
    let total = 0n;
    let owed = 0n;
    let unit = 0;
    const id = `BSK-0000${String(11 + orders.length).padStart(2, '0')}`;
    const view = lines.map((l, i) => {
      const x = atAmount(catalog.find((c) => c.sku === l.sku), l.amount);
      total += cents(x.retail.amount) * BigInt(l.quantity);
      const units = Array.from({ length: l.quantity }, () => {
        unit += 1;
        const paid = { method, amount: x.retail.amount, tendered: null, change: null, reference: terminalRef ?? null,
          staff: 'asha', taken_at: new Date().toISOString() };
        const o = taxed(sale(x, paid), x.category, buyer);
        Object.assign(o, { basket: id, basket_line: i + 1 });
        if (shop.refuseSku === x.sku) {
          owed += cents(x.retail.amount);
          Object.assign(o, { status: 'refund_due', codes: undefined, delivered_at: null,
            failure: { code: 'out_of_stock', message: 'sku out of stock' },
            outcome: { outcome: 'refund_due', code: 'out_of_stock', message: 'sku out of stock' } });
        } else if (shop.claimSku === x.sku) {
          asClaim(o);
        } else {
          o.codes = [{ code: `B${unit}K7M-Q2P9R-T4HZ${'DEFGH'[unit % 5]}`, pin: null, serial: `SN-48291${unit}`, expires_at: null }];
        }
        return sold(withBuyer(o, buyer, email), email);
      });
      return { line: i + 1, sku: x.sku, quantity: l.quantity, unit_price: x.retail.amount,
        total: two(cents(x.retail.amount) * BigInt(l.quantity)), orders: units };
    });
    if (method === 'cash' && cents(tendered) < total) {
      throw { code: 'errors.short_tender', message: `sale refused, nothing charged: ${tendered} is less than the price ${two(total)}` };
    }
    return { basket: id, total: two(total), currency: 'INR', tendered: method === 'cash' ? tendered : null,
      change: method === 'cash' ? two(cents(tendered) - total) : null, refund_due: two(owed), lines: view };
  }

  function minus(a, b) {
    // Exact: both are two-decimal strings here.
    const cents = (s) => BigInt(s.replace('.', ''));
    const d = cents(a) - cents(b);
    return `${d / 100n}.${String(d % 100n).padStart(2, '0')}`;
  }

  const commands = {
    session_state: () => ({ needs_owner: shop.staff.length === 0, session: shop.session, idle_lock_minutes: shop.idleMinutes ?? 5 }),
    sign_in: ({ pin, name }) => {
      if (shop.padLockedUntil && Date.now() < shop.padLockedUntil) {
        return { outcome: 'locked', who: 'the PIN pad', seconds: Math.ceil((shop.padLockedUntil - Date.now()) / 1000) };
      }
      const m = shop.staff.find((x) => x.enabled && x.pin === pin && (!name || x.name === name));
      if (!m) {
        shop.wrongPins += 1;
        if (shop.wrongPins >= 5) {
          shop.wrongPins = 0;
          shop.padLockedUntil = Date.now() + 60_000;
          return { outcome: 'locked', who: 'the PIN pad', seconds: 60 };
        }
        return { outcome: 'wrong_pin', left: 5 - shop.wrongPins };
      }
      shop.wrongPins = 0;
      shop.session = { name: m.name, role: m.role };
      return { outcome: 'signed_in', session: shop.session };
    },
    create_owner: ({ name, pin }) => {
      if (shop.staff.length > 0) throw { code: 'errors.validation', message: 'the staff already has an owner' };
      shop.staff.push({ id: 1, name, role: 'owner', enabled: true, locked_until: null, created_at: new Date().toISOString(), pin });
      shop.session = { name, role: 'owner' };
      return { outcome: 'signed_in', session: shop.session };
    },
    lock: () => {
      shop.session = null;
      return null;
    },
    touch_session: () => null,
    staff_list: () => shop.staff.map(member),
    add_staff: ({ name, role, pin }) => {
      if (shop.staff.some((m) => m.enabled && m.pin === pin)) throw { code: 'errors.validation', message: 'pin: another member of staff has this PIN; choose another' };
      const m = { id: shop.staff.length + 1, name, role, enabled: true, locked_until: null, created_at: new Date().toISOString(), pin };
      shop.staff.push(m);
      return member(m);
    },
    set_staff_enabled: ({ name, enabled }) => {
      const m = shop.staff.find((x) => x.name === name);
      if (!enabled && m.role === 'owner' && shop.staff.filter((x) => x.role === 'owner' && x.enabled).length === 1) {
        throw { code: 'errors.validation', message: `${name} is the last enabled owner: make another owner first` };
      }
      m.enabled = enabled;
      return member(m);
    },
    audit_log: () => [...audit].reverse(),
    verify_audit: () => ({ rows: audit.length, head_id: audit.length, head_hash: audit.at(-1).hash, broken: null }),
    shift_status: () => (shop.shift ? { open: shop.shift, x: xReport() } : { open: null, x: null }),
    open_shift: ({ float }) => {
      if (!/^\d+(\.\d{1,2})?$/.test(float)) throw { code: 'errors.validation', message: `float: "${float}" is not an amount` };
      shop.shift = { id: 7, till_id: 'till-1', float: inr(float), opened_by: shop.session.name, opened_at: new Date().toISOString(),
        z_number: null, closed_by: null, closed_at: null, counted: null };
      shop.moves = [];
      return shop.shift;
    },
    move_cash: ({ kind, amount, reason }) => {
      if (!reason.trim()) throw { code: 'errors.validation', message: 'reason: say why the cash moved' };
      const m = { kind, amount: inr(amount), reason, staff: shop.session.name, at: new Date().toISOString() };
      shop.moves.push(m);
      return m;
    },
    close_shift: async ({ counted, language }) => {
      await new Promise((r) => setTimeout(r, 300)); // printing takes a moment
      shop.z += 1;
      const report = xReport('z', counted);
      shop.shift = null;
      return { report, text: reportText(report, language), printed: 'sent to tcp://192.168.1.50:9100',
        print_error: null, pdf: `/home/asha/.local/share/codetill/reports/z-report-${String(shop.z).padStart(6, '0')}-${language}.pdf` };
    },
    shift_report: ({ x, language }) => {
      const report = xReport();
      return { report, text: reportText(report, language), printed: null, print_error: null, pdf: null };
    },
    sales_report: async (args) => {
      await new Promise((r) => setTimeout(r, 150));
      return salesReport(args);
    },
    export_sales_csv: ({ from, to, by, till }) => ({ path: `/home/asha/.local/share/codetill/exports/sales-by-${by}-${from}-${to}${till ? `-at-${till}` : ''}.csv`, rows: salesReport({ from, to, by, till }).rows.length }),
    report_tills: () => ['counter-1', 'counter-2'],
    reconcile_run: async ({ since }) => {
      await new Promise((r) => setTimeout(r, 400));
      return { run_id: 3, supplier: null, window: { from: `${since}T00:00:00Z`, to: new Date().toISOString() }, transactions: 42,
        charged: money('61884.20'), balance: money('18250.00'), notes: [], clean: false, findings: [
          { kind: 'charged_not_delivered', order: 'ORD-000043', order_status: 'refund_due', key: 'ct-43', supplier_order_id: 'SUP-9912',
            supplier_status: 'completed', charged: money('232.00'), cost: money('232.00'), action: 'deliver',
            message: 'ORD-000043 is refund due here but the supplier completed it: deliver its codes' },
          { kind: 'amount_mismatch', order: 'ORD-000040', order_status: 'delivered', key: 'ct-40', supplier_order_id: 'SUP-9907',
            supplier_status: 'completed', charged: money('1712.00'), cost: money('1685.00'), action: null,
            message: 'the supplier charged 1712.00 INR, 27.00 INR more than the recorded cost' },
        ] };
    },
    supplier_topups: () => structuredClone(shop.topups ?? []),
    record_topup: ({ amount, currency, date, reference }) => {
      if (!/^\d+(\.\d+)?$/.test(amount)) throw { code: 'errors.validation', message: `AMOUNT: "${amount}" is not an amount` };
      shop.topups = shop.topups ?? [];
      const made = { id: shop.topups.length + 1, supplier: null, amount: { amount, currency: currency.toUpperCase() },
        at: `${date || '2026-12-04'}T00:00:00.000Z`, reference: reference || null, staff: 'Meera', recorded_at: new Date().toISOString() };
      shop.topups.unshift(made);
      return made;
    },
    reconcile_deliver: async () => {
      await new Promise((r) => setTimeout(r, 300));
      return { outcome: 'delivered' };
    },
    store_settings: () => ({ idle_lock_minutes: shop.idleMinutes ?? 5, backup_folder: shop.backupFolder ?? null }),
    save_store_settings: ({ idleLockMinutes, backupFolder }) => {
      if (!/^\d+$/.test(idleLockMinutes) || Number(idleLockMinutes) < 1 || Number(idleLockMinutes) > 60) {
        throw { code: 'errors.validation', message: `idle_lock_minutes: "${idleLockMinutes}" is not a whole number of minutes from 1 to 60` };
      }
      shop.idleMinutes = Number(idleLockMinutes);
      shop.backupFolder = backupFolder || null;
      return { idle_lock_minutes: shop.idleMinutes, backup_folder: shop.backupFolder };
    },
    about: () => ({ version: '0.1.0', data_dir: '/home/asha/.local/share/codetill',
      log_dir: '/home/asha/.local/share/codetill/logs', keep_days: 14 }),
    support_bundle: async () => {
      if (!['manager', 'owner'].includes(shop.session?.role)) {
        throw { code: 'errors.not_allowed', message: `${shop.session?.name} may not view the reports` };
      }
      await new Promise((r) => setTimeout(r, 800)); // zipping the logs takes a moment
      shop.bundles = (shop.bundles ?? 0) + 1;
      return { path: '/home/asha/Downloads/codetill-support-20260314-091500.zip', bytes: 48_213,
        files: ['versions.json', 'settings.json', 'state.json', 'logs/codetill.2026-03-13.log', 'logs/codetill.2026-03-14.log'] };
    },
    database_status: () => {
      ownerOnly();
      return databaseStatus();
    },
    database_test: async ({ url }) => {
      ownerOnly();
      return testDatabase(url);
    },
    database_save: async ({ url }) => {
      ownerOnly();
      if (shop.database.fromEnv) throw { code: 'errors.validation', message: 'CODETILL_DATABASE_URL is set on this computer and chooses this till\'s database: change it there, not in Settings' };
      const report = await testDatabase(url);
      shop.database.kept = url.trim();
      const status = databaseStatus();
      return { report, status, restart_needed: status.next !== null };
    },
    database_forget: () => {
      ownerOnly();
      if (shop.database.fromEnv) throw { code: 'errors.validation', message: 'CODETILL_DATABASE_URL is set on this computer and chooses this till\'s database: change it there, not in Settings' };
      shop.database.kept = null;
      return databaseStatus();
    },
    update_settings: () => updateView(),
    set_update_url: ({ url }) => {
      ownerOnly();
      const u = url?.trim() || null;
      if (u) {
        let parsed;
        try {
          parsed = new URL(u);
        } catch {
          throw { code: 'errors.validation', message: `update URL "${u}": relative URL without a base` };
        }
        const loopback = ['127.0.0.1', 'localhost'].includes(parsed.hostname);
        if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
          throw { code: 'errors.validation', message: `update URL "${u}": ${parsed.protocol.replace(':', '')}: updates come over https` };
        }
      }
      shop.updates.url = u;
      return updateView();
    },
    check_update: async () => {
      ownerOnly();
      if (!shop.updates.url) throw { code: 'errors.wrong_state', message: 'updates are off: set the update URL first' };
      if (!shop.updates.signed) throw { code: 'errors.wrong_state', message: 'this build carries no release key: it cannot update itself' };
      await new Promise((r) => setTimeout(r, 300));
      const o = shop.updates.offer;
      return { current: '0.1.0', version: o?.version ?? null, notes: o?.notes ?? null, not_now: notNow() };
    },
    install_update: async () => {
      ownerOnly();
      const why = notNow();
      if (why === 'sale_under_way') throw { code: 'errors.wrong_state', message: 'a sale is under way: install the update after it' };
      if (why === 'shift_open') throw { code: 'errors.wrong_state', message: "this till's shift is open: close it, then install" };
      if (!shop.updates.offer) throw { code: 'errors.wrong_state', message: 'no update is ready' };
      await new Promise((r) => setTimeout(r, 300));
      // The real app restarts here; the harness records the install and stays.
      shop.updates.installed = shop.updates.offer.version;
      return null;
    },
    app_info: () => ({
      version: '0.1.0', data_dir: '/demo', db_path: '/demo/codetill.db',
      product_count: shop.supplier === false ? 0 : 1284,
      last_sync: shop.supplier === false ? null : { id: 1, kind: 'full', status: 'ok', started_at: '2026-03-01T08:59:00.000Z',
        finished_at: '2026-03-01T09:00:00.000Z', received: 1284, inserted: 1284, updated: 0, discontinued: 0, skipped: 0, error: null },
      supplier_configured: shop.supplier !== false, demo: !!shop.demo, demo_requested: false,
      open_alerts: (shop.alertList ?? []).filter((a) => a.state === 'open').length,
      supplier: { reachable: shop.supplier === false ? null : true, checked_at: null, error: null },
    }),
    search_products: ({ query }) => {
      const q = words(query);
      return catalog.filter((x) => q.every((w) => words(`${x.sku} ${x.name} ${x.brand} ${x.region}`).some((f) => f.startsWith(w))));
    },
    quote: ({ sku, amount }) => {
      const found = catalog.find((c) => c.sku === sku);
      if (!found) throw { code: 'errors.unknown_sku', message: `unknown sku "${sku}"` };
      const x = atAmount(found, amount);
      return { product: x, price: x.retail, wholesale: x.wholesale, available_quantity: null, margin: money('100.00') };
    },
    sell_cash: async ({ sku, tendered, email, amount, buyer }) => {
      const x = atAmount(catalog.find((c) => c.sku === sku), amount);
      await new Promise((r) => setTimeout(r, 300)); // the supplier takes a moment
      const order = sale(x, { method: 'cash', amount: x.retail.amount, tendered, change: minus(tendered, x.retail.amount),
        reference: null, staff: 'asha', taken_at: new Date().toISOString() });
      return sold(withBuyer(taxed(order, x.category, buyer), buyer, email), email);
    },
    sell_card: async ({ sku, terminalRef, email, amount, buyer }) => {
      const x = atAmount(catalog.find((c) => c.sku === sku), amount);
      await new Promise((r) => setTimeout(r, 300));
      const order = sale(x, { method: 'card', amount: x.retail.amount, tendered: null, change: null,
        reference: terminalRef, staff: 'asha', taken_at: new Date().toISOString() });
      return sold(withBuyer(taxed(order, x.category, buyer), buyer, email), email);
    },
    sell_basket_cash: (args) => basket(args, 'cash'),
    sell_basket_card: (args) => basket(args, 'card'),
    has_drawer: () => !!shop.drawer,
    set_drawer: ({ enabled }) => {
      if (shop.session?.role !== 'owner') throw { code: 'errors.not_allowed', message: `${shop.session?.name} may not change the settings` };
      return (shop.drawer = enabled);
    },
    claim_terms: () => ({ ...(shop.claims ??= { enabled: false, limit: 48 }) }),
    set_claims: ({ enabled, limitHours }) => {
      if (shop.session?.role !== 'owner') throw { code: 'errors.not_allowed', message: `${shop.session?.name} may not change the settings` };
      if (limitHours != null && !(limitHours >= 1 && limitHours <= 744)) {
        throw { code: 'errors.validation', message: `claim limit: ${limitHours} hours is outside 1 to 744` };
      }
      shop.claims = { enabled, limit: limitHours ?? shop.claims?.limit ?? 48 };
      return { ...shop.claims };
    },
    open_claims: () => orders.filter((o) => o.claim && o.status !== 'delivered').reverse().map(({ codes, outcome, ...o }) => o),
    claim_qr: ({ order }) => {
      const o = orders.find((x) => x.order_id === order || x.claim?.number === order.toUpperCase());
      if (!o?.claim) throw { code: 'errors.validation', message: `${order} is not a claim` };
      return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"><path d="M4 4h7v7h-7zM18 4h7v7h-7zM4 18h7v7h-7zM13 13h3v3h-3z"/></svg>';
    },
    open_drawer: () => {
      shop.drawerOpened = (shop.drawerOpened ?? 0) + 1;
      return !!shop.drawer;
    },
    tax_settings: () => structuredClone(shop.taxView),
    save_tax_settings: ({ input }) => {
      if (input.tax_id && !/^[0-9A-Z]{15}$/.test(input.tax_id)) throw { code: 'errors.validation', message: `--tax-id: "${input.tax_id}" is not a GSTIN or VAT number` };
      Object.assign(shop.taxView, { tax_id: input.tax_id || null, prefix: input.prefix, fy_start_month: input.fy_start_month });
      return structuredClone(shop.taxView);
    },
    set_tax_rate: ({ category, rate }) => {
      shop.taxView.rates = shop.taxView.rates.filter((r) => r.category !== category);
      if (rate) shop.taxView.rates.push({ category, rate });
      return structuredClone(shop.taxView);
    },
    buyer_retention: () => ({ months: shop.retention }),
    set_buyer_retention: ({ months }) => ({ months: (shop.retention = months ?? null) }),
    find_buyers: ({ text }) => {
      const t = text.trim().toLowerCase();
      const digits = t.replace(/[^\d+]/g, '');
      return shop.buyers.filter((b) => (digits.length >= 3 && b.phone?.includes(digits)) || b.email?.toLowerCase().includes(t));
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
    sale_done: () => null,
    code_qr: () => ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"><path d="M4 4h7v7h-7zM18 4h7v7h-7zM4 18h7v7h-7z"/></svg>'],
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
    sell_remotely: async ({ sku, email, provider }) => {
      const x = catalog.find((c) => c.sku === sku);
      if (!x) throw { code: 'errors.unknown_sku', message: `unknown sku "${sku}"` };
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) {
        throw { code: 'errors.validation', message: `"${email}" is not an email address` };
      }
      if (shop.noProvider) throw { code: 'errors.payment_provider', message: `${provider} is not configured: no API key` };
      await new Promise((r) => setTimeout(r, 300)); // the provider takes a moment
      const order = { ...sale(x, null), status: 'quoted', paid_at: null, delivered_at: null, codes: undefined, outcome: undefined };
      orders[0] = order;
      remoteEmails.set(order.order_id, email.trim());
      return { order_id: order.order_id, provider, payment_url: 'https://checkout.stripe.com/c/pay/cs_test_a1Qx7Rk2Lm9Tz4Wb8Ne3Vd6Hy0Jc5Fg',
        price: order.price, currency: order.currency, status: 'quoted', email: email.trim(), qr_svg: shop.remoteQr ?? null };
    },
    order: ({ id }) => {
      // An order number, or a claim slip's (as core's orders::find takes both).
      const o = orders.find((x) => x.order_id === id || x.claim?.number === id.toUpperCase());
      if (!o) throw { code: 'errors.not_found', message: `no order ${id}` };
      const { codes, outcome, ...view } = o;
      return view;
    },
    list_orders: ({ query }) => orders
      .filter((o) => !query?.buyer || o.email === query.buyer || o.buyer_phone === query.buyer.replace(/[\s-]/g, ''))
      .map(({ codes, outcome, ...o }) => o),
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
    // The owner's screens. Retail prices here are a stand-in for core's pricing.
    price_rules: () => ({ rules: shop.rules, currency: 'INR' }),
    price_preview: ({ category, rule }) => {
      const pct = (s) => Number(s);
      const keep = 1 - (pct(rule.fee_pct) + pct(rule.fx_pct) + pct(rule.margin_pct)) / 100;
      if (!(keep > 0)) throw { code: 'errors.validation', message: 'margin: fee + fx + margin must stay below 100%' };
      return catalog
        .filter((x) => category == null || x.category === category)
        .map((x) => {
          const cost = Number(x.wholesale.amount) * 0.9;
          let retail = cost / keep;
          if (rule.rounding === '.99') retail = Math.ceil(retail - 0.99) + 0.99;
          else if (rule.rounding === '1') retail = Math.ceil(retail);
          else retail = Math.ceil(retail * 100) / 100;
          const margin = retail * (1 - (pct(rule.fee_pct) + pct(rule.fx_pct)) / 100) - cost;
          return {
            sku: x.sku, name: x.name, category: x.category, wholesale: money(cost.toFixed(2)), current: x.retail,
            retail: money(retail.toFixed(2)), margin: money(margin.toFixed(2)),
            margin_pct: ((margin / retail) * 100).toFixed(1), below_floor: false,
          };
        });
    },
    save_price_rule: ({ category, rule }) => {
      const saved = { fee_pct: rule.fee_pct, fx_pct: rule.fx_pct, margin_pct: rule.margin_pct, rounding: rule.rounding,
        floor: rule.floor ? money(rule.floor, rule.floor_currency) : null };
      if (category) shop.rules.by_category[category] = saved;
      else shop.rules.global = saved;
      return { products: 1284, changed: 311 };
    },
    sync_summary: () => ({
      last: { id: 7, kind: 'incremental', status: 'ok', started_at: '2026-03-01T08:59:00.000Z', finished_at: '2026-03-01T09:00:00.000Z',
        received: 1284, inserted: 4, updated: 37, discontinued: 2, skipped: 1, error: null },
      skipped: [{ sku: 'XBOX-BR-??', reason: 'price "12,00" is not a decimal' }],
    }),
    price_changes: () => [
      { sku: 'STEAM-US-20', name: 'Steam Wallet $20', old_wholesale: money('1610.00'), new_wholesale: money('1685.00'),
        old_retail: money('1849.00'), new_retail: money('1899.00'), wholesale_change_pct: '4.7', retail_change_pct: '2.7',
        cause: 'sync', changed_at: '2026-03-01T09:00:00.000Z' },
      { sku: 'JIO-IN-239', name: 'जियो ₹239 अनलिमिटेड', old_wholesale: money('232.00'), new_wholesale: money('232.00'),
        old_retail: money('236.00'), new_retail: money('239.00'), wholesale_change_pct: '0', retail_change_pct: '1.3',
        cause: 'rules', changed_at: '2026-02-28T18:30:00.000Z' },
    ],
    sync_catalog: async () => {
      for (const done of [400, 900, 1284]) {
        for (const [id, handler] of listeners) if (handler.event === 'catalog-sync-progress') {
          window[`_${handler.cb}`]?.({ event: 'catalog-sync-progress', id, payload: { stage: 'fetching', done, total: 1284 } });
        }
        // Long enough for a test on a busy machine to see the progress bar.
        await new Promise((r) => setTimeout(r, 500));
      }
      return { run_id: 8, kind: 'incremental', received: 1284, inserted: 0, updated: 12, discontinued: 0, skipped: 0, duration_ms: 2300 };
    },
    balance_overview: () => ({
      available: money('18250.00'), updated_at: '2026-03-14T09:00:00.000Z', avg_daily_spend: money('6420.00'), runway_days: 2,
      threshold: '20000',
      spend: Array.from({ length: 14 }, (_, i) => ({ day: `2026-03-${String(i + 1).padStart(2, '0')}`,
        spent: money(['3200.00', '5400.00', '0.00', '7100.00', '6200.00', '4800.00', '8900.00', '5100.00', '6600.00', '0.00', '7400.00', '6900.00', '5800.00', '4300.00'][i]) })),
      supplier_error: null,
    }),
    alerts: ({ openOnly }) => shop.alertList.filter((a) => !openOnly || a.state === 'open'),
    acknowledge_alert: ({ id }) => {
      const a = shop.alertList.find((x) => x.id === id);
      a.state = 'acknowledged';
      return a;
    },
    set_balance_threshold: () => null,
    take_alert_notifications: () => null,
    notify_desktop: () => null,
    supplier_status: () => ({ reachable: true, checked_at: null, error: null }),
    settings: () => shop.settingsView,
    save_settings: ({ input }) => (shop.settingsView = withReadiness({ ...shop.settingsView, ...input })),
    set_secret: ({ name, value }) => {
      shop.settingsView[`${name}_set`] = value !== '';
      return withReadiness(shop.settingsView);
    },
    supplier_accounts: () => structuredClone(shop.accounts),
    add_supplier_account: ({ input }) => {
      if (!/^https?:\/\/[^/]/.test(input.url)) throw { code: 'errors.validation', message: `url: "${input.url}": relative URL without a base` };
      if (shop.accounts.some((a) => a.name === input.name)) throw { code: 'errors.validation', message: `a supplier named "${input.name}" exists already` };
      const { key, ...kept } = input;
      const account = { ...kept, url: input.url.replace(/\/$/, ''), enabled: true, created_at: new Date().toISOString() };
      shop.accounts.push(account);
      return structuredClone(account);
    },
    test_supplier_account: async ({ name }) => {
      await new Promise((r) => setTimeout(r, 300));
      const a = shop.accounts.find((x) => x.name === name);
      if (a.url.includes('down')) throw { code: 'errors.supplier', message: 'supplier unreachable: connection refused' };
      return { name, balance: '1250.00', currency: a.account_currency ?? 'USD' };
    },
    set_supplier_account_enabled: ({ name, enabled }) => {
      const a = shop.accounts.find((x) => x.name === name);
      a.enabled = enabled;
      return structuredClone(a);
    },
    remove_supplier_account: ({ name }) => {
      const i = shop.accounts.findIndex((x) => x.name === name);
      return shop.accounts.splice(i, 1)[0];
    },
    exchange_rates: () => structuredClone(shop.rates),
    set_shop_currency: ({ currency }) => {
      shop.rates.shop_currency = currency || null;
      return structuredClone(shop.rates);
    },
    daily_sync: () => structuredClone(shop.daily),
    set_sync_hour: ({ hour }) => {
      shop.daily.hour = hour === '' ? null : Number(hour);
      return structuredClone(shop.daily);
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

  // Tests send events as the Rust side would (supplier-status, alert-raised…).
  window.__emit = (event, payload) => {
    for (const [id, handler] of listeners) if (handler.event === event) window[`_${handler.cb}`]?.({ event, id, payload });
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
      if (!shop.session && !OPEN.has(cmd)) throw { code: 'errors.locked', message: 'the till is locked: sign in with your PIN' };
      return run(args);
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };
}

// A mocked Rust side for UI tests: the test catalog, live quotes, sales and orders,
// the receipt and email of a sale, with every invoke recorded.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { BasketView, DeliveryStatus, Handover, OrderView, Product, Quote } from '../lib/types';
import { CATALOG, searchCatalog } from './catalog';

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

type Handler = (args: Record<string, unknown>) => unknown;

export function quoteFor(p: Product): Quote {
  return { product: p, price: p.retail, wholesale: p.wholesale, available_quantity: null, margin: { amount: '10.00', currency: p.retail.currency } };
}

/** The order a delivered cash sale answers with. */
export function deliveredOrder(p: Product, tendered: string, change: string, extra: Partial<OrderView> = {}): OrderView {
  return {
    order_id: 'ORD-000042',
    client_order_id: 'ct-01TEST',
    status: 'delivered',
    sku: p.sku,
    name: p.name,
    region: p.region,
    price: p.retail.amount,
    currency: p.retail.currency,
    paid: { method: 'cash', amount: p.retail.amount, tendered, change, reference: null, staff: 'asha', taken_at: '2026-03-01T09:00:00.000Z' },
    codes: [{ code: 'ABCDE-FGHJK-LMNPQ', pin: null, serial: 'SN-123456789', expires_at: null }],
    redeem_url: 'https://store.steampowered.com/account/redeemwalletcode',
    redeem_instructions: 'Steam → Add funds → Redeem a Steam Gift Card',
    failure: null,
    refund: null,
    staff: 'asha',
    till_id: null,
    created_at: '2026-03-01T09:00:00.000Z',
    paid_at: '2026-03-01T09:00:00.000Z',
    delivered_at: '2026-03-01T09:00:01.000Z',
    outcome: { outcome: 'delivered' },
    attempts: 1,
    supplier_status: 'completed',
    ...extra,
  };
}

/** One receipt print or email, as delivery_status lists it. */
export function handover(h: Partial<Handover> & Pick<Handover, 'id' | 'kind'>): Handover {
  return {
    destination: h.kind === 'print' ? 'pdf:/shop/receipts' : 'buyer@example.com',
    status: 'sent',
    reprint_no: null,
    attempts: 1,
    last_error: null,
    sent_at: '2026-03-01T09:00:02.000Z',
    ...h,
  };
}

/** The QR code claim_qr answers with (a stand-in: three finder squares). */
export const CLAIM_QR = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" data-claim="1"><path d="M4 4h7v7h-7z"/></svg>';

/** The order a sale taken as a claim answers with: paid, open, its slip numbered. */
export function claimedOrder(p: Product, tendered: string, change: string, extra: Partial<OrderView> = {}): OrderView {
  return deliveredOrder(p, tendered, change, {
    order_id: 'ORD-000123',
    status: 'paid',
    codes: undefined,
    delivered_at: null,
    outcome: { outcome: 'open', reason: 'taken as claim CLM-000123: the code is bought the moment the supplier answers' },
    supplier_status: null,
    claim: { number: 'CLM-000123', taken_at: '2026-03-01T09:00:00.000Z' },
    ...extra,
  });
}

/** What `about` answers with unless a test says otherwise. */
export const ABOUT = {
  version: '0.1.0',
  data_dir: '/home/asha/.local/share/codetill',
  log_dir: '/home/asha/.local/share/codetill/logs',
  keep_days: 14,
};

/** What `database_status` answers with unless a test says otherwise. */
export const DATABASE_STATUS = {
  now: { store: 'sqlite', location: '/home/asha/.local/share/codetill/codetill.db' },
  from_env: false,
  next: null,
  keyring_error: null,
} as const;

export const RECEIPT_TEXT = 'CODETILL DEMO SHOP\nSteam Wallet $20\nCODE ABCDE-FGHJK-LMNPQ';

/**
 * The till's delivery side: a printer that prints, no mail server (emails stay queued),
 * unless `delivery` says otherwise. print_receipt reprints once printed.
 */
function deliveryDesk(delivery: Partial<DeliveryStatus> = {}) {
  const status: DeliveryStatus = {
    printer: 'pdf:/shop/receipts',
    email_ready: false,
    items: [handover({ id: 1, kind: 'print' })],
    ...delivery,
  };
  let nextId = 100;
  const add = (h: Omit<Handover, 'id'>) => {
    const item = { ...h, id: nextId++ };
    status.items.push(item);
    return item;
  };
  return {
    status,
    delivery_status: () => structuredClone(status),
    print_receipt: () => {
      if (!status.printer) throw { code: 'errors.no_printer', message: 'no receipt printer is set up' };
      const printed = status.items.filter((i) => i.kind === 'print' && i.status === 'sent').length;
      return add({ ...handover({ id: 0, kind: 'print', destination: status.printer }), reprint_no: printed > 0 ? printed : null });
    },
    email_code: (args: Record<string, unknown>) => {
      const to = typeof args.to === 'string' ? args.to : status.items.find((i) => i.kind === 'email')?.destination;
      if (!to || !to.includes('@')) throw { code: 'errors.validation', message: `"${to ?? ''}" is not an email address` };
      return add(
        status.email_ready
          ? handover({ id: 0, kind: 'email', destination: to })
          : handover({ id: 0, kind: 'email', destination: to, status: 'queued', last_error: 'no mail server is set up', sent_at: null }),
      );
    },
    receipt_preview: () => RECEIPT_TEXT,
  };
}

/** A basket every unit of which was delivered, each with a code of its own. */
export function basketSold(args: Record<string, unknown>): BasketView {
  const lines = (args.lines ?? []) as { sku: string; quantity: number }[];
  let n = 0;
  let total = 0n;
  const view = lines.map((l, i) => {
    const p = CATALOG.find((x) => x.sku === l.sku) ?? CATALOG[0]!;
    const cents = BigInt(p.retail.amount.replace('.', ''));
    total += cents * BigInt(l.quantity);
    const orders = Array.from({ length: l.quantity }, () => {
      n += 1;
      return deliveredOrder(p, '', '', {
        order_id: `ORD-00010${n}`,
        codes: [{ code: `BSKT${n}-FGHJK-LMNPQ`, pin: null, serial: `SN-10${n}`, expires_at: null }],
        paid: { method: 'cash', amount: p.retail.amount, tendered: null, change: null, reference: null, staff: 'asha', taken_at: '2026-03-01T09:00:00.000Z' },
        basket: 'BSK-000007',
        basket_line: i + 1,
      });
    });
    return { line: i + 1, sku: p.sku, quantity: l.quantity, unit_price: p.retail.amount, total: cents2(cents * BigInt(l.quantity)), orders };
  });
  const tendered = typeof args.tendered === 'string' ? args.tendered : null;
  const change = tendered ? cents2(BigInt(tendered.replace('.', '')) - total) : null;
  return { basket: 'BSK-000007', total: cents2(total), currency: 'INR', tendered, change, refund_due: '0.00', lines: view };
}

function cents2(c: bigint): string {
  const s = c.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

export function mockShop(overrides: Partial<Record<string, Handler>> = {}, delivery: Partial<DeliveryStatus> = {}) {
  const calls: Call[] = [];
  const desk = deliveryDesk(delivery);
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const override = overrides[cmd];
      if (override) return override(args);
      switch (cmd) {
        case 'search_products':
          return searchCatalog(String(args.query));
        case 'quote': {
          const p = CATALOG.find((x) => x.sku === args.sku);
          if (!p) throw { code: 'errors.unknown_sku', message: `unknown sku "${String(args.sku)}"` };
          return quoteFor(p);
        }
        case 'app_info':
          return {
            version: '0.1.0',
            data_dir: '/tmp/x',
            db_path: '/tmp/x/codetill.db',
            product_count: 3,
            last_sync: null,
            supplier_configured: true,
            demo: false,
            demo_requested: false,
          };
        case 'delivery_status':
          return desk.delivery_status();
        case 'print_receipt':
          return desk.print_receipt();
        case 'email_code':
          return desk.email_code(args);
        case 'receipt_preview':
          return desk.receipt_preview();
        case 'code_qr':
          return ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"><path d="M4 4h7v7h-7z"/></svg>'];
        case 'sale_done':
          return null;
        // No cash drawer, no tax id, buyers' data kept: unless a test says otherwise.
        case 'has_drawer':
          return false;
        // Claims off (48 hours), none waiting, unless a test says otherwise.
        case 'claim_terms':
          return { enabled: false, limit: 48 };
        case 'open_claims':
          return [];
        case 'claim_qr':
          return CLAIM_QR;
        case 'tax_settings':
          return { tax_id: null, prefix: 'INV', fy_start_month: 4, rates: [] };
        case 'buyer_retention':
          return { months: null };
        case 'sell_basket_cash':
        case 'sell_basket_card':
          return basketSold(args);
        case 'supplier_accounts':
          return [];
        case 'exchange_rates':
          return { shop_currency: null, source_url: null, rates: [] };
        case 'daily_sync':
          return { hour: null, last_run: null };
        // The owner is signed in, unless a test says otherwise.
        case 'session_state':
          return { needs_owner: false, session: { name: 'Meera', role: 'owner' }, idle_lock_minutes: 5 };
        case 'touch_session':
        case 'lock':
          return null;
        // Settings → About, and updates off in a build that can update itself.
        case 'about':
          return { ...ABOUT };
        case 'update_settings':
          return { current: '0.1.0', url: null, signed_build: true };
        case 'store_settings':
          return { idle_lock_minutes: 5, backup_folder: null };
        // This till on its own SQLite file, nothing waiting for the next start.
        case 'database_status':
          return { ...DATABASE_STATUS, now: { ...DATABASE_STATUS.now } };
        default:
          throw { code: 'errors.validation', message: `unexpected command ${cmd}` };
      }
    },
    { shouldMockEvents: true },
  );
  return { calls, of: (cmd: string) => calls.filter((c) => c.cmd === cmd), delivery: desk.status };
}

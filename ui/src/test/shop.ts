// A mocked Rust side for UI tests: the test catalog, live quotes, sales and orders,
// with every invoke recorded.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { OrderView, Product, Quote } from '../lib/types';
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

export function mockShop(overrides: Partial<Record<string, Handler>> = {}) {
  const calls: Call[] = [];
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
        default:
          throw { code: 'errors.validation', message: `unexpected command ${cmd}` };
      }
    },
    { shouldMockEvents: true },
  );
  return { calls, of: (cmd: string) => calls.filter((c) => c.cmd === cmd) };
}

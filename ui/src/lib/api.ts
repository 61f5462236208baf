// The only place that talks to the Rust side: components call these, never `invoke`.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { Locale } from './i18n/index.svelte';
import {
  ERROR_CODES,
  type AccountTest,
  type BasketLineInput,
  type BasketView,
  type Buyer,
  type BuyerInput,
  type ClaimTerms,
  type DatabaseReport,
  type DatabaseSaved,
  type DatabaseStatus,
  type AboutView,
  type SupportBundle,
  type UpdateCheck,
  type UpdateSettings,
  type TaxView,
  type Alert,
  type DailySync,
  type RatesView,
  type SupplierAccount,
  type SupplierAccountInput,
  type AppInfo,
  type DeliveryStatus,
  type BalanceView,
  type Category,
  type PriceChange,
  type PricePreview,
  type PricingView,
  type RepriceReport,
  type RuleInput,
  type SecretName,
  type SettingsInput,
  type SettingsView,
  type SupplierStatus,
  type SyncSummary,
  type ErrorCode,
  type Handover,
  type Language,
  type OrdersQuery,
  type OrderView,
  type Product,
  type Quote,
  type ProviderKind,
  type RecoveryReport,
  type RemoteSale,
  type SyncProgress,
  type SyncReport,
  type AuditRow,
  type ChainReport,
  type CashMove,
  type Exported,
  type GroupBy,
  type Member,
  type ReconcileReport,
  type Role,
  type SalesReport,
  type SessionState,
  type Shift,
  type ShiftStatus,
  type ShownReport,
  type SignIn,
  type StoreSettings,
  type Topup,
} from './types';

const KNOWN_CODES: readonly ErrorCode[] = ERROR_CODES;

/** A failed command: `code` picks the translated sentence, `message` is the English detail. */
export class ApiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }

  /** Whatever `invoke` rejected with: our `{ code, message }`, or anything else. */
  static from(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
      const { code, message } = e as { code: unknown; message: unknown };
      const known = KNOWN_CODES.find((c) => c === code);
      return new ApiError(known ?? 'errors.unknown', String(message));
    }
    return new ApiError('errors.unknown', e instanceof Error ? e.message : String(e));
  }
}

/** Told when the backend says nobody is signed in (locked, or the idle time ran out). */
let lockedHandler: (() => void) | null = null;

export function onLocked(handler: (() => void) | null): void {
  lockedHandler = handler;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = ApiError.from(e);
    if (err.code === 'errors.locked') lockedHandler?.();
    throw err;
  }
}

let readyOnce: Promise<void> | undefined;

/** `args` with the face value chosen for an open-amount product, when there is one. */
function withAmount(args: Record<string, unknown>, amount: string | null): Record<string, unknown> {
  return amount === null ? args : { ...args, amount };
}

/** `args` with the buyer, when anything about them was typed. */
function withBuyer(args: Record<string, unknown>, buyer: BuyerInput | undefined): Record<string, unknown> {
  return buyer && (buyer.name || buyer.phone || buyer.tax_id) ? { ...args, buyer } : args;
}

/** Listens to `event`; the returned unlisten never throws (a window already gone). */
async function on<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  const unlisten = await listen<T>(event, (e) => handler(e.payload));
  return () => {
    // Tauri's unlisten is async despite its type; a webview already torn down has
    // nothing left to unlisten, so its rejection is dropped.
    Promise.resolve(unlisten() as unknown).catch(() => {});
  };
}

export const api = {
  /** Products matching what was typed, best first (an exact sku leads). */
  searchProducts(query: string, limit: number): Promise<Product[]> {
    return call('search_products', { query, limit });
  },
  /** One product by its exact sku, or null. */
  product(sku: string): Promise<Product | null> {
    return call('product', { sku });
  },
  appInfo(): Promise<AppInfo> {
    return call('app_info');
  },
  /** Once per session: the counter takes input now (logged for the start-up figure). */
  counterReady(): Promise<void> {
    readyOnce ??= call<unknown>('counter_ready').then(() => undefined);
    return readyOnce;
  },

  /**
   * The live price and stock (asks the supplier); refusals are `errors.refused.*`.
   * `amount`: the face value chosen for an open-amount product.
   */
  quote(sku: string, amount: string | null = null): Promise<Quote> {
    return call('quote', withAmount({ sku }, amount));
  },
  /**
   * Cash: `tendered` is a decimal string; core computes the change. `email` (or null)
   * also sends the buyer the code; `language` is the receipt's and the email's.
   */
  sellCash(
    sku: string,
    tendered: string,
    email: string | null,
    language: Language,
    amount: string | null = null,
    buyer?: BuyerInput,
  ): Promise<OrderView> {
    return call('sell_cash', withBuyer(withAmount({ sku, tendered, email, language }, amount), buyer));
  },
  /** Card on the external terminal, with its reference. */
  sellCard(
    sku: string,
    terminalRef: string,
    email: string | null,
    language: Language,
    amount: string | null = null,
    buyer?: BuyerInput,
  ): Promise<OrderView> {
    return call('sell_card', withBuyer(withAmount({ sku, terminalRef, email, language }, amount), buyer));
  },
  /** A basket of several lines paid once in cash; each unit is bought on its own. */
  sellBasketCash(
    lines: BasketLineInput[],
    tendered: string,
    email: string | null,
    language: Language,
    buyer?: BuyerInput,
  ): Promise<BasketView> {
    return call('sell_basket_cash', withBuyer({ lines, tendered, email, language }, buyer));
  },
  /** A basket paid once by card on the external terminal. */
  sellBasketCard(
    lines: BasketLineInput[],
    terminalRef: string,
    email: string | null,
    language: Language,
    buyer?: BuyerInput,
  ): Promise<BasketView> {
    return call('sell_basket_card', withBuyer({ lines, terminalRef, email, language }, buyer));
  },
  /** Whether this till opens a cash drawer (its key shows only then). */
  hasDrawer(): Promise<boolean> {
    return call('has_drawer');
  },
  /** Turns this till's cash drawer on or off (the owner's; audited); whether it is on now. */
  setDrawer(enabled: boolean): Promise<boolean> {
    return call('set_drawer', { enabled });
  },
  /** Whether claims are taken while the supplier is down, and their limit in hours. */
  claimTerms(): Promise<ClaimTerms> {
    return call('claim_terms');
  },
  /** The owner's claim settings (limit 1 to 744 hours; null keeps the one set). Audited. */
  setClaims(enabled: boolean, limitHours: number | null): Promise<ClaimTerms> {
    return call('set_claims', limitHours === null ? { enabled } : { enabled, limitHours });
  },
  /** The claims still waiting for the supplier, oldest first (no codes). */
  openClaims(): Promise<OrderView[]> {
    return call('open_claims');
  },
  /** The claim slip's QR code (SVG) of an order taken as a claim: its number, never a code. */
  claimQr(order: string): Promise<string> {
    return call('claim_qr', { order });
  },
  /** Opens the cash drawer with no sale (audited); false when there is none to open. */
  openDrawer(): Promise<boolean> {
    return call('open_drawer');
  },
  /** Buyers whose phone or email holds `text` (3 characters at least). */
  findBuyers(text: string): Promise<Buyer[]> {
    return call('find_buyers', { text });
  },
  taxSettings(): Promise<TaxView> {
    return call('tax_settings');
  },
  /** A blank tax id removes it: receipts stop being tax invoices. */
  saveTaxSettings(taxId: string, prefix: string, fyStartMonth: number): Promise<TaxView> {
    return call('save_tax_settings', { input: { tax_id: taxId, prefix, fy_start_month: fyStartMonth } });
  },
  /** A category's rate in percent, or null to clear it. */
  setTaxRate(category: Category, rate: string | null): Promise<TaxView> {
    return call('set_tax_rate', { category, rate });
  },
  buyerRetention(): Promise<{ months: number | null }> {
    return call('buyer_retention');
  },
  setBuyerRetention(months: number | null): Promise<{ months: number | null }> {
    return call('set_buyer_retention', { months });
  },
  /**
   * A remote sale: a quoted order for `email` and its payment link at `provider`.
   * The order is paid and fulfilled later, through the relay; follow it with `order`.
   */
  sellRemotely(sku: string, email: string, provider: ProviderKind, language: Locale): Promise<RemoteSale> {
    return call('sell_remotely', { sku, email, provider, language });
  },

  /** The receipt and emails of an order; the first ones run in the background after a sale. */
  deliveryStatus(order: string): Promise<DeliveryStatus> {
    return call('delivery_status', { order });
  },
  /** Prints the receipt now: the first print, or an audited reprint. */
  printReceipt(order: string): Promise<Handover> {
    return call('print_receipt', { order });
  },
  /** Emails the code again (audited), to `to` or to the sale's address. */
  emailCode(order: string, to?: string): Promise<Handover> {
    return call('email_code', to === undefined ? { order } : { order, to });
  },
  /** The plain-text receipt of the sale on the screen. */
  /** The sale on the delivery screen: its codes as QR codes (SVG). */
  codeQr(order: string): Promise<string[]> {
    return call('code_qr', { order });
  },
  receiptPreview(order: string, language: Language): Promise<string> {
    return call('receipt_preview', { order, language });
  },
  /** The counter moved on: the last sale's code is off the screen (and its preview). */
  saleDone(): Promise<void> {
    return call('sale_done');
  },

  /** Starts the sandbox supplier for this session and syncs its catalog. */
  startDemo(): Promise<SyncReport | null> {
    return call('start_demo');
  },
  /** Catalog sync progress while a sync runs. */
  onSyncProgress(handler: (p: SyncProgress) => void): Promise<UnlistenFn> {
    return on<SyncProgress>('catalog-sync-progress', handler);
  },

  listOrders(query: OrdersQuery): Promise<OrderView[]> {
    return call('list_orders', { query });
  },
  openOrders(): Promise<OrderView[]> {
    return call('open_orders');
  },
  order(id: string): Promise<OrderView> {
    return call('order', { id });
  },
  /** Shows a delivered code again; the reason goes to the audit log. */
  revealCode(id: string, reason: string): Promise<OrderView> {
    return call('reveal_code', { id, reason });
  },
  recordRefund(id: string, method: 'cash' | 'card', reference: string | null): Promise<OrderView> {
    return call('record_refund', { id, method, reference });
  },
  finishOpenOrders(): Promise<RecoveryReport> {
    return call('finish_open_orders');
  },

  /** The price rules and the currency a floor is typed in. */
  priceRules(): Promise<PricingView> {
    return call('price_rules');
  },
  /** The edited rule on sample products of `category` (null: all), priced by core. */
  pricePreview(category: Category | null, rule: RuleInput, limit: number): Promise<PricePreview[]> {
    return call('price_preview', { category, rule, limit });
  },
  /** Saves the rule (null: the global one) and reprices the catalog. */
  savePriceRule(category: Category | null, rule: RuleInput): Promise<RepriceReport> {
    return call('save_price_rule', { category, rule });
  },
  /** Drops a category's own rule (the global rule prices it again) and reprices. */
  removePriceRule(category: Category): Promise<RepriceReport> {
    return call('remove_price_rule', { category });
  },
  /** Syncs the catalog now; progress arrives as `catalog-sync-progress`. */
  syncCatalog(): Promise<SyncReport> {
    return call('sync_catalog');
  },
  syncSummary(): Promise<SyncSummary> {
    return call('sync_summary');
  },
  priceChanges(limit: number): Promise<PriceChange[]> {
    return call('price_changes', { limit });
  },

  /** Balance, runway and spend per day (days local to this computer's clock). */
  balanceOverview(days: number): Promise<BalanceView> {
    return call('balance_overview', { days, utcOffsetMinutes: -new Date().getTimezoneOffset() });
  },
  /** The low-balance threshold; null or '' clears it. */
  setBalanceThreshold(amount: string | null): Promise<void> {
    return call('set_balance_threshold', { amount });
  },
  alerts(openOnly: boolean): Promise<Alert[]> {
    return call('alerts', { openOnly });
  },
  acknowledgeAlert(id: number): Promise<Alert> {
    return call('acknowledge_alert', { id });
  },
  supplierStatus(): Promise<SupplierStatus> {
    return call('supplier_status');
  },
  /** The supplier went down or came back. */
  onSupplierStatus(handler: (s: SupplierStatus) => void): Promise<UnlistenFn> {
    return on<SupplierStatus>('supplier-status', handler);
  },
  /** A new alert. Until `takeAlertNotifications`, the app also shows it on the
   * desktop in English; after it, the UI asks for that with `notifyDesktop`. */
  onAlertRaised(handler: (a: Alert) => void): Promise<UnlistenFn> {
    return on<Alert>('alert-raised', handler);
  },
  /** From now on this UI words new alerts' desktop notifications. */
  takeAlertNotifications(): Promise<void> {
    return call('take_alert_notifications');
  },
  notifyDesktop(title: string, body: string): Promise<void> {
    return call('notify_desktop', { title, body });
  },

  settings(): Promise<SettingsView> {
    return call('settings');
  },
  saveSettings(input: SettingsInput): Promise<SettingsView> {
    return call('save_settings', { input });
  },
  /** Stores a secret in the OS keyring ('' removes it); it never comes back. */
  setSecret(name: SecretName, value: string): Promise<SettingsView> {
    return call('set_secret', { name, value });
  },

  /** The shop's supplier accounts, oldest first (never their keys). */
  supplierAccounts(): Promise<SupplierAccount[]> {
    return call('supplier_accounts');
  },
  /** Adds an account; its key goes to the OS keyring. A wrong field is named. */
  addSupplierAccount(input: SupplierAccountInput): Promise<SupplierAccount> {
    return call('add_supplier_account', { input });
  },
  /** Asks the account's supplier for its balance. */
  testSupplierAccount(name: string): Promise<AccountTest> {
    return call('test_supplier_account', { name });
  },
  setSupplierAccountEnabled(name: string, enabled: boolean): Promise<SupplierAccount> {
    return call('set_supplier_account_enabled', { name, enabled });
  },
  /** Removes the account and its key. */
  removeSupplierAccount(name: string): Promise<SupplierAccount> {
    return call('remove_supplier_account', { name });
  },

  /** The shop's currency and the exchange rates it prices with. */
  exchangeRates(): Promise<RatesView> {
    return call('exchange_rates');
  },
  /** Sells in `currency` from now on ('' : each supplier's); reprices the catalog. */
  setShopCurrency(currency: string): Promise<RatesView> {
    return call('set_shop_currency', { currency });
  },
  dailySync(): Promise<DailySync> {
    return call('daily_sync');
  },
  /** The hour (0–23) the catalog syncs each day; '' : only when asked. */
  setSyncHour(hour: string): Promise<DailySync> {
    return call('set_sync_hour', { hour });
  },

  // The session: the PIN pad, the first run's owner, the lock.
  sessionState(): Promise<SessionState> {
    return call('session_state');
  },
  signIn(pin: string, name: string | null = null): Promise<SignIn> {
    return call('sign_in', name ? { pin, name } : { pin });
  },
  createOwner(name: string, pin: string): Promise<SignIn> {
    return call('create_owner', { name, pin });
  },
  lock(): Promise<void> {
    return call('lock');
  },
  /** Someone is working: the backend's idle time starts again. */
  touchSession(): Promise<void> {
    return call('touch_session');
  },

  // Staff and the audit log.
  staffList(): Promise<Member[]> {
    return call('staff_list');
  },
  addStaff(name: string, role: Role, pin: string): Promise<Member> {
    return call('add_staff', { name, role, pin });
  },
  setStaffEnabled(name: string, enabled: boolean): Promise<Member> {
    return call('set_staff_enabled', { name, enabled });
  },
  auditLog(limit: number): Promise<AuditRow[]> {
    return call('audit_log', { limit });
  },
  verifyAudit(): Promise<ChainReport> {
    return call('verify_audit');
  },

  // The shift and its reports.
  shiftStatus(): Promise<ShiftStatus> {
    return call('shift_status');
  },
  openShift(float: string): Promise<Shift> {
    return call('open_shift', { float });
  },
  moveCash(kind: 'in' | 'out', amount: string, reason: string): Promise<CashMove> {
    return call('move_cash', { kind, amount, reason });
  },
  closeShift(counted: string, language: Language): Promise<ShownReport> {
    return call('close_shift', { counted, language });
  },
  /** The X-report of the open shift (`x`), or the last Z-report; `print` prints it too. */
  shiftReport(x: boolean, language: Language, print: boolean): Promise<ShownReport> {
    return call('shift_report', { x, language, print });
  },

  // Reports and reconciliation.
  /** `till`: one till's sales ('' : the whole shop). */
  salesReport(from: string, to: string, by: GroupBy, till = ''): Promise<SalesReport> {
    return call('sales_report', till ? { from, to, by, till } : { from, to, by });
  },
  exportSalesCsv(from: string, to: string, by: GroupBy, till = ''): Promise<Exported> {
    return call('export_sales_csv', till ? { from, to, by, till } : { from, to, by });
  },
  /** The tills a report can be narrowed to, by name. */
  reportTills(): Promise<string[]> {
    return call('report_tills');
  },
  /** The supplier's history from `since` to the end of the day `until` ('' : now). */
  reconcile(since: string, until = ''): Promise<ReconcileReport> {
    return call('reconcile_run', until ? { since, until } : { since });
  },
  reconcileDeliver(order: string): Promise<unknown> {
    return call('reconcile_deliver', { order });
  },
  supplierTopups(): Promise<Topup[]> {
    return call('supplier_topups');
  },
  /** `date`: YYYY-MM-DD ('' : now). */
  recordTopup(amount: string, currency: string, date: string, reference: string): Promise<Topup> {
    return call('record_topup', { amount, currency, date, reference });
  },
  storeSettings(): Promise<StoreSettings> {
    return call('store_settings');
  },
  saveStoreSettings(idleLockMinutes: string, backupFolder: string): Promise<StoreSettings> {
    return call('save_store_settings', { idleLockMinutes, backupFolder });
  },
  // Settings → About and Updates.
  /** The version, the data folder and the log folder (anyone signed in). */
  about(): Promise<AboutView> {
    return call('about');
  },
  /** Writes a support bundle (Downloads, else the data folder); a manager's or the owner's. */
  supportBundle(): Promise<SupportBundle> {
    return call('support_bundle');
  },
  updateSettings(): Promise<UpdateSettings> {
    return call('update_settings');
  },
  /** The owner's update address; null or '' turns updates off. Core takes https only. */
  setUpdateUrl(url: string | null): Promise<UpdateSettings> {
    return call('set_update_url', { url: url?.trim() || null });
  },
  /** Asks the update address for a newer signed version (the owner's). */
  checkUpdate(): Promise<UpdateCheck> {
    return call('check_update');
  },
  /** Installs the update and restarts the app; refused during a sale or an open shift. */
  installUpdate(): Promise<void> {
    return call('install_update');
  },
  // Settings → Database (the owner's). The URL goes to the OS keyring; only its
  // form without the password ever comes back.
  databaseStatus(): Promise<DatabaseStatus> {
    return call('database_status');
  },
  /** Connects to the server and reports on it; nothing is kept. */
  databaseTest(url: string): Promise<DatabaseReport> {
    return call('database_test', { url });
  },
  /** Tests again, then keeps the URL for the next start. */
  databaseSave(url: string): Promise<DatabaseSaved> {
    return call('database_save', { url });
  },
  /** The next start opens this till's own file again. */
  databaseForget(): Promise<DatabaseStatus> {
    return call('database_forget');
  },
};

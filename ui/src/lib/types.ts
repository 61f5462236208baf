// What the Rust side sends (the commands in src-tauri/src/commands/, codetill_core::product::Product).

/** An exact decimal amount as a string ("20.00"): never parse it to a float for arithmetic. */
export type DecimalString = string;

export interface Money {
  amount: DecimalString;
  /** ISO 4217, e.g. "INR", "USD". */
  currency: string;
}

export type Category = 'gift_card' | 'game_topup' | 'mobile_topup' | 'software_key';

export interface Product {
  id: number;
  sku: string;
  name: string;
  brand: string;
  category: Category;
  /** ISO 3166 alpha-2 ("IN", "US") or a supplier word such as "GLOBAL". */
  region: string;
  face_value: Money;
  wholesale: Money;
  retail: Money;
  in_stock: boolean;
  redeem_url: string | null;
  redeem_instructions: string | null;
  supplier_updated_at: string;
  discontinued: boolean;
  /** Set on a product sold at an amount the buyer chooses, in its face currency;
   * `face_value` and `retail` are then its smallest amount's. */
  open_amount?: OpenAmount | null;
}

export interface OpenAmount {
  min: Money;
  max: Money;
}

export interface LastSync {
  id: number;
  kind: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  received: number;
  inserted: number;
  updated: number;
  discontinued: number;
  skipped: number;
  error: string | null;
}

export interface AppInfo {
  version: string;
  data_dir: string;
  db_path: string;
  product_count: number;
  last_sync: LastSync | null;
  /** A supplier URL is configured (in a demo: the sandbox). */
  supplier_configured: boolean;
  /** This session sells DEMO codes from the sandbox supplier. */
  demo: boolean;
  /** CODETILL_DEMO=1: start the demo at once. */
  demo_requested: boolean;
  /** Alerts not yet acknowledged. */
  open_alerts: number;
  supplier: SupplierStatus;
}

/** The last supplier health check (every minute); also the `supplier-status` event. */
export interface SupplierStatus {
  /** null: not checked yet, or no supplier configured. */
  reachable: boolean | null;
  checked_at: string | null;
  error: string | null;
}

/** The codes src-tauri/src/error.rs sends; each is also a message-catalog key. */
export const ERROR_CODES = [
  'errors.database',
  'errors.validation',
  'errors.unknown_sku',
  'errors.short_tender',
  'errors.refused.discontinued',
  'errors.refused.out_of_stock',
  'errors.refused.balance_too_low',
  'errors.refused.below_floor',
  'errors.refused.supplier_unavailable',
  'errors.not_found',
  'errors.wrong_state',
  'errors.paid_not_shown',
  'errors.no_supplier',
  'errors.supplier',
  'errors.secrets',
  'errors.busy',
  'errors.not_allowed',
  'errors.sign_in',
  'errors.sandbox',
  'errors.no_printer',
  'errors.delivery',
  'errors.payment_provider',
  'errors.payment_link',
  'errors.locked',
  'errors.file',
  'errors.database_server',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number] | 'errors.unknown';

/** A live quote (codetill_core::orders::Quote): what the buyer pays now. */
export interface Quote {
  product: Product;
  price: Money;
  wholesale: Money;
  /** null: the supplier sets no limit. */
  available_quantity: number | null;
  margin: Money;
}

export type OrderStatus =
  | 'quoted'
  | 'paid'
  | 'ordering'
  | 'unknown'
  | 'delivered'
  | 'failed'
  | 'refund_due'
  | 'refunded'
  | 'cancelled';

export const ORDER_STATUSES: readonly OrderStatus[] = [
  'quoted',
  'paid',
  'ordering',
  'unknown',
  'delivered',
  'failed',
  'refund_due',
  'refunded',
  'cancelled',
];

/** How a sale's fulfilment ended (only on the answer to a sale). */
export type Outcome =
  | { outcome: 'delivered' }
  | { outcome: 'refund_due'; code: string; message: string }
  | { outcome: 'open'; reason: string }
  | { outcome: 'busy' };

export interface Paid {
  method: 'cash' | 'card' | string;
  amount: DecimalString;
  tendered: DecimalString | null;
  change: DecimalString | null;
  reference: string | null;
  staff: string;
  taken_at: string;
}

export interface IssuedCode {
  code: string;
  pin: string | null;
  serial: string | null;
  expires_at: string | null;
}

/** An order as src-tauri/src/views.rs sends it (the CLI's `sell --json` document). */
export interface OrderView {
  order_id: string;
  client_order_id: string;
  status: OrderStatus;
  sku: string;
  name: string;
  region: string;
  price: DecimalString;
  currency: string;
  paid: Paid | null;
  /** Only on a delivered order, and only on a sale's answer or an audited reveal. */
  codes?: IssuedCode[];
  redeem_url: string | null;
  redeem_instructions: string | null;
  failure: { code: string; message: string } | null;
  refund: { amount: DecimalString; method: string; reference: string | null; staff: string; at: string } | null;
  staff: string;
  till_id: string | null;
  created_at: string;
  paid_at: string | null;
  delivered_at: string | null;
  outcome?: Outcome;
  attempts: number;
  supplier_status: string | null;
  /** The basket the order is a unit of (`BSK-000001`), and its line there. */
  basket?: string;
  basket_line?: number;
  /** The tax inside the price, when its category has a rate. */
  tax?: TaxPart;
  /** The sale's tax invoice, when the shop has a tax id. */
  invoice?: Invoice;
  buyer_name?: string;
  buyer_phone?: string;
  /** Where the code was (or will be) emailed. */
  email?: string | null;
  /** The claim slip of a sale taken while the supplier was down. */
  claim?: Claim;
}

/** A claim: the slip's number (`CLM-000123`, the order's own) and when it was taken. */
export interface Claim {
  number: string;
  taken_at: string;
}

/** The owner's claim settings: taken at all, and hours one may wait before it is refunded. */
export interface ClaimTerms {
  enabled: boolean;
  limit: number;
}

/** Settings → About (src-tauri's commands::support::About): where the shop's files are. */
export interface AboutView {
  version: string;
  data_dir: string;
  log_dir: string;
  /** How many daily log files are kept. */
  keep_days: number;
}

/** A support bundle written (codetill_core::support::Bundle): the zip, what it holds. */
export interface SupportBundle {
  path: string;
  files: string[];
  bytes: number;
}

/** Why an update cannot be installed right now (codetill_core::till::updates::NotNow). */
export type UpdateNotNow = 'sale_under_way' | 'shift_open';

/** The owner's update address (null: updates off) and whether this build can update itself. */
export interface UpdateSettings {
  current: string;
  url: string | null;
  signed_build: boolean;
}

/** What the update address offers: a newer version (or null: this one is the latest). */
export interface UpdateCheck {
  current: string;
  version: string | null;
  notes: string | null;
  not_now: UpdateNotNow | null;
}

/** Where the shop's data lives (codetill_core::till::database): this till's SQLite file or the shop's PostgreSQL server. */
export type DatabaseStore = 'sqlite' | 'postgres';

export interface DatabasePlace {
  store: DatabaseStore;
  /** The SQLite file's path, or the server's URL without its password. */
  location: string;
}

export interface DatabaseStatus {
  now: DatabasePlace;
  /** CODETILL_DATABASE_URL chose the database: Settings cannot change it. */
  from_env: boolean;
  /** What the next start opens, when it is not `now`. */
  next: DatabasePlace | null;
  /** Why the OS keyring could not be asked. */
  keyring_error: string | null;
}

/** Whether this till's vault key reads the server's codes. */
export type VaultMatch = 'same' | 'different' | 'not_bound' | 'unknown';

/** What a test of a server found. */
export interface DatabaseReport {
  /** Without its password. */
  url: string;
  server_version: string;
  orders: number;
  products: number;
  staff: number;
  holds_shop: boolean;
  vault: VaultMatch;
}

export interface DatabaseSaved {
  report: DatabaseReport;
  status: DatabaseStatus;
  restart_needed: boolean;
}

/** The claim slip's number as typed or scanned at the counter ("clm-000123" too). */
export const CLAIM_NUMBER = /^\s*CLM-\d+\s*$/i;

export interface TaxPart {
  /** Percent ("18"). */
  rate: DecimalString;
  amount: DecimalString;
  /** The price without the tax. */
  net: DecimalString;
}

export interface Invoice {
  number: string;
  shop_tax_id: string;
  buyer_tax_id: string | null;
}

/** One basket line as the counter sends it (src-tauri/src/commands/basket.rs). */
export interface BasketLineInput {
  sku: string;
  /** The face value of an open-amount product. */
  amount?: DecimalString;
  quantity: number;
}

/** The answer to a basket sale: each line with its units' orders. */
export interface BasketView {
  basket: string;
  total: DecimalString;
  currency: string;
  tendered: DecimalString | null;
  change: DecimalString | null;
  /** Owed back for units refused after payment ("0.00" when none). */
  refund_due: DecimalString;
  lines: BasketLineView[];
}

export interface BasketLineView {
  line: number;
  sku: string;
  quantity: number;
  unit_price: DecimalString;
  total: DecimalString;
  orders: OrderView[];
}

/** Who buys, as typed at the counter; every field optional. */
export interface BuyerInput {
  name?: string;
  phone?: string;
  tax_id?: string;
}

/** A buyer on record (core's buyers::Buyer). */
export interface Buyer {
  id: number;
  name: string | null;
  phone: string | null;
  email: string | null;
  created_at: string;
  last_seen_at: string;
  orders: number;
}

/** The tax invoicing settings and each category's rate (core's till::tax::TaxView). */
export interface TaxView {
  tax_id: string | null;
  prefix: string;
  fy_start_month: number;
  rates: { category: Category; rate: DecimalString }[];
}

export interface OrdersQuery {
  status?: OrderStatus | null;
  since?: string | null;
  sku?: string | null;
  /** A buyer's phone or email: their orders. */
  buyer?: string | null;
  limit?: number;
}

export interface RecoveryReport {
  examined: number;
  delivered: string[];
  refund_due: string[];
  open: string[];
  busy: string[];
  cancelled_quotes: number;
}

export interface SyncReport {
  run_id: number;
  kind: string;
  received: number;
  inserted: number;
  updated: number;
  discontinued: number;
  skipped: number;
  duration_ms: number;
}

/** `catalog-sync-progress` events. */
export interface SyncProgress {
  stage: string;
  done: number;
  total: number | null;
}

/** What the cashier confirms at the counter; `email` also sends the buyer the code. */
export type Payment = ({ method: 'cash'; tendered: DecimalString } | { method: 'card'; terminalRef: string }) & {
  email: string | null;
  /** The buyer's name, phone and tax id, when any was typed. */
  buyer?: BuyerInput;
};

export type ProviderKind = 'stripe' | 'btcpay' | 'nowpayments' | 'razorpay';
export const PROVIDERS: readonly ProviderKind[] = ['stripe', 'btcpay', 'nowpayments', 'razorpay'];

/** A remote sale (src-tauri/src/commands/remote.rs): a quoted order and its payment link. */
export interface RemoteSale {
  order_id: string;
  provider: ProviderKind;
  payment_url: string;
  price: DecimalString;
  currency: string;
  /** `quoted` until the payment arrives through the relay. */
  status: OrderStatus;
  email: string;
  /** The payment link as a QR code (SVG drawn by core); null for a link too long for one. */
  qr_svg: string | null;
}

/** One receipt print or email of an order (src-tauri/src/commands/delivery.rs). */
export interface Handover {
  id: number;
  kind: 'print' | 'email';
  /** The printer, or the email address. */
  destination: string;
  /** queued: not printed / not sent yet (retried); failed: given up. */
  status: 'queued' | 'sent' | 'failed';
  /** Set on a reprint: REPRINT #n. */
  reprint_no: number | null;
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
}

/** What this till can do for a delivered order, and what it did. */
export interface DeliveryStatus {
  /** null: no receipt printer is set up. */
  printer: string | null;
  email_ready: boolean;
  /** Oldest first. */
  items: Handover[];
}

export type Language = 'en' | 'hi';

export type Rounding = 'none' | '.99' | '.05' | '.50' | '1';
export const ROUNDINGS: readonly Rounding[] = ['.99', '.05', '.50', '1', 'none'];
export const CATEGORIES: readonly Category[] = ['gift_card', 'game_topup', 'mobile_topup', 'software_key'];

/** A price rule as core stores it (percentages as decimal strings). */
export interface PriceRule {
  fee_pct: DecimalString;
  fx_pct: DecimalString;
  margin_pct: DecimalString;
  rounding: string;
  floor: Money | null;
}

export interface PricingView {
  rules: { global: PriceRule; by_category: Partial<Record<Category, PriceRule>> };
  /** The catalog's main currency (a floor is typed in it). */
  currency: string | null;
}

/** A rule as the owner types it. */
export interface RuleInput {
  fee_pct: string;
  fx_pct: string;
  margin_pct: string;
  rounding: string;
  floor: string | null;
  floor_currency: string | null;
}

/** One sample product priced by the edited rule (computed by core). */
export interface PricePreview {
  sku: string;
  name: string;
  category: Category;
  wholesale: Money;
  current: Money;
  retail: Money;
  margin: Money;
  margin_pct: DecimalString;
  below_floor: boolean;
}

export interface RepriceReport {
  products: number;
  changed: number;
}

export interface BadRow {
  sku: string | null;
  reason: string;
}

export interface SyncSummary {
  last: LastSync | null;
  skipped: BadRow[];
}

export interface PriceChange {
  sku: string;
  name: string | null;
  old_wholesale: Money;
  new_wholesale: Money;
  old_retail: Money;
  new_retail: Money;
  wholesale_change_pct: DecimalString | null;
  retail_change_pct: DecimalString | null;
  cause: 'sync' | 'rules';
  changed_at: string;
}

export interface DaySpend {
  /** YYYY-MM-DD, the shop's local day. */
  day: string;
  spent: Money;
}

export interface BalanceView {
  available: Money | null;
  updated_at: string | null;
  avg_daily_spend: Money | null;
  runway_days: number | null;
  threshold: DecimalString | null;
  spend: DaySpend[];
  supplier_error: string | null;
}

export type AlertKind =
  | 'balance_low'
  | 'supplier_unreachable'
  | 'price_drift'
  | 'order_failed'
  | 'refund_due'
  | 'email_failed'
  | 'print_failed'
  | 'payment_held'
  | 'fx_stale'
  | 'sync_failed'
  | 'reconcile_discrepancy'
  | 'refund_rate';

export interface Alert {
  id: number;
  kind: AlertKind;
  /** English, with the figures; the title comes from `kind` in the UI's language. */
  message: string;
  /** The figures `message` names, for saying it in the UI's language (see
   * `balance/alertText.ts`); null on alerts stored before they were kept. */
  facts: Record<string, unknown> | null;
  order_ref: string | null;
  created_at: string;
  state: 'open' | 'acknowledged';
}

export interface SettingsView {
  supplier_url: string | null;
  supplier_url_from_env: boolean;
  supplier_key_set: boolean;
  shop_name: string | null;
  shop_address: string | null;
  till_id: string | null;
  language: 'en' | 'hi' | string;
  data_dir: string;
  printer: string | null;
  smtp_url: string | null;
  smtp_password_set: boolean;
  relay_url: string | null;
  relay_url_from_env: boolean;
  relay_token_set: boolean;
  stripe_api_url: string | null;
  stripe_api_url_from_env: boolean;
  stripe_success_url: string | null;
  stripe_key_set: boolean;
  btcpay_url: string | null;
  btcpay_url_from_env: boolean;
  btcpay_store_id: string | null;
  btcpay_store_id_from_env: boolean;
  btcpay_key_set: boolean;
  nowpayments_ipn_url: string | null;
  nowpayments_ipn_url_from_env: boolean;
  nowpayments_key_set: boolean;
  razorpay_key_id: string | null;
  razorpay_key_id_from_env: boolean;
  razorpay_key_secret_set: boolean;
  remote: RemoteReadiness;
  secrets_error: string | null;
}

/** Ready, or what is missing (core's words, English). */
export interface Readiness {
  ready: boolean;
  problem: string | null;
}

export interface RemoteReadiness {
  relay: Readiness;
  stripe: Readiness;
  btcpay: Readiness;
  nowpayments: Readiness;
  razorpay: Readiness;
}

/** Secrets the settings screen can store ('' removes one); they never come back. */
export type SecretName =
  | 'supplier_key'
  | 'smtp_password'
  | 'relay_token'
  | 'stripe_key'
  | 'btcpay_key'
  | 'nowpayments_key'
  | 'razorpay_key_secret';

export interface SettingsInput {
  supplier_url: string;
  shop_name: string;
  shop_address: string;
  till_id: string;
  language: string;
  printer: string;
  smtp_url: string;
  relay_url: string;
  stripe_api_url: string;
  stripe_success_url: string;
  btcpay_url: string;
  btcpay_store_id: string;
  nowpayments_ipn_url: string;
  razorpay_key_id: string;
}

/** The API a supplier account speaks. */
export type SupplierKind = 'wholesale' | 'reloadly' | 'reloadly-airtime' | 'bamboo' | 'ding';

/** One supplier account as kept (never its key). */
export interface SupplierAccount {
  name: string;
  kind: SupplierKind;
  url: string;
  auth_url: string | null;
  account: string | null;
  account_currency: string | null;
  enabled: boolean;
  created_at: string;
}

/** A new account as the owner typed it; `key` goes to the OS keyring. */
export interface SupplierAccountInput {
  name: string;
  kind: SupplierKind;
  url: string;
  auth_url: string | null;
  account: string | null;
  account_currency: string | null;
  key: string | null;
}

/** What a supplier answered to the connection test. */
export interface AccountTest {
  name: string;
  balance: string;
  currency: string;
}

export type RateSource = 'owner' | 'ecb';

/** One exchange rate the shop prices with. */
export interface RateView {
  from: string;
  to: string;
  rate: string;
  source: RateSource;
  /** The day the rate is for (YYYY-MM-DD). */
  as_of: string;
  age_days: number;
  stale: boolean;
}

export interface RatesView {
  /** null: each product sells in its supplier's currency. */
  shop_currency: string | null;
  source_url: string | null;
  rates: RateView[];
}

/** The catalog's daily sync. */
export interface DailySync {
  /** 0–23 on this computer's clock; null: only when asked. */
  hour: number | null;
  last_run: string | null;
}

// Staff, the session, shifts, reports, the audit log and reconciliation.

export type Role = 'owner' | 'manager' | 'cashier';
export const ROLES: readonly Role[] = ['cashier', 'manager', 'owner'];

/** Who is signed in at the till. */
export interface SessionView {
  name: string;
  role: Role;
}

export interface SessionState {
  /** No staff yet: the first screen makes the owner. */
  needs_owner: boolean;
  session: SessionView | null;
  idle_lock_minutes: number;
}

/** The PIN pad's answer (a wrong PIN and a lock are answers, not errors). */
export type SignIn =
  | { outcome: 'signed_in'; session: SessionView | null }
  | { outcome: 'wrong_pin'; left: number }
  | { outcome: 'locked'; who: string; seconds: number };

export interface Member {
  id: number;
  name: string;
  role: Role;
  enabled: boolean;
  locked_until: string | null;
  created_at: string;
}

export interface StoreSettings {
  idle_lock_minutes: number;
  backup_folder: string | null;
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  order_id: number | null;
  detail: string | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface ChainReport {
  rows: number;
  head_id: number | null;
  head_hash: string | null;
  broken: { id: number; why: string } | null;
}

export interface Shift {
  id: number;
  till_id: string | null;
  float: Money;
  opened_by: string;
  opened_at: string;
  z_number: number | null;
  closed_by: string | null;
  closed_at: string | null;
  counted: Money | null;
}

export interface CashMove {
  kind: 'in' | 'out';
  amount: Money;
  reason: string;
  staff: string;
  at: string;
}

export interface MethodLine {
  method: string;
  count: number;
  amount: Money;
}

export interface CashDrawer {
  float: Money;
  cash_sales: Money;
  cash_refunds: Money;
  cash_in: Money;
  cash_out: Money;
  expected: Money;
  counted: Money | null;
  over_short: Money | null;
}

export interface ShiftReport {
  kind: 'x' | 'z';
  z_number: number | null;
  till_id: string | null;
  currency: string;
  opened_by: string;
  opened_at: string;
  closed_by: string | null;
  closed_at: string | null;
  at: string;
  sales: MethodLine[];
  sales_count: number;
  sales_total: Money;
  refunds: MethodLine[];
  refunds_count: number;
  refunds_total: Money;
  net: Money;
  codes_issued: number;
  cost: Money;
  margin: Money;
  margin_pct: DecimalString | null;
  cash: CashDrawer;
  cash_moves: CashMove[];
}

export interface ShiftStatus {
  open: Shift | null;
  x: ShiftReport | null;
}

/** A shift report as figures and as the receipt printer's text. */
export interface ShownReport {
  report: ShiftReport;
  text: string;
  printed: string | null;
  print_error: string | null;
  pdf: string | null;
}

export type GroupBy = 'day' | 'week' | 'month' | 'product' | 'category' | 'supplier' | 'staff' | 'payment' | 'till';
export const GROUP_BY: readonly GroupBy[] = ['day', 'week', 'month', 'product', 'category', 'supplier', 'staff', 'payment', 'till'];

export interface SalesRow {
  key: string;
  name?: string;
  currency: string;
  orders: number;
  codes: number;
  sales: Money;
  cost: Money;
  margin: Money;
  margin_pct: DecimalString | null;
}

export interface SalesReport {
  from: string;
  to: string;
  by: GroupBy;
  /** The till the report is narrowed to; absent for the whole shop. */
  till?: string;
  rows: SalesRow[];
  totals: SalesRow[];
}

export interface Exported {
  path: string;
  rows: number;
}

export type FindingKind = 'charged_not_delivered' | 'delivered_not_charged' | 'amount_mismatch' | 'balance_unexplained';

export interface Finding {
  kind: FindingKind;
  order: string | null;
  order_status: OrderStatus | null;
  key: string | null;
  supplier_order_id: string | null;
  supplier_status: string | null;
  charged: Money | null;
  cost: Money | null;
  action: 'deliver' | null;
  message: string;
}

/** Money the owner paid into a supplier account. */
export interface Topup {
  id: number;
  /** Null: the shop's single supplier. */
  supplier: string | null;
  amount: Money;
  at: string;
  reference: string | null;
  staff: string;
  recorded_at: string;
}

export interface ReconcileReport {
  run_id: number;
  supplier: string | null;
  window: { from: string; to: string };
  transactions: number;
  charged: Money | null;
  balance: Money | null;
  notes: string[];
  findings: Finding[];
  clean: boolean;
}

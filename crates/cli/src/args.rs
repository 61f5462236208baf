//! The command line, as `shared/contracts/cli.md` lays it out.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "codetill", version, about = "Point of sale for digital codes", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct Global {
    /// Data folder (database, receipts, logs).
    #[arg(long, global = true, env = "CODETILL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print exactly one JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// More logging on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create or migrate the database; safe to repeat.
    Init,
    /// The wholesale supplier: where it is and the API key.
    #[command(subcommand)]
    Supplier(SupplierCommand),
    /// Import the supplier's catalog (incremental when a recent full walk exists).
    Sync(SyncArgs),
    /// Find products: sku, name, region, retail price, stock.
    Search(SearchArgs),
    /// Retail pricing rules.
    #[command(subcommand)]
    Pricing(PricingCommand),
    /// Exchange rates from the supplier account's currency to the shop's.
    #[command(subcommand)]
    Fx(FxCommand),
    /// The supplier's prepaid balance.
    Balance,
    /// Sell one code at the counter: quote, take payment, buy, deliver.
    Sell(SellArgs),
    /// List orders.
    Orders(OrdersArgs),
    /// One order; the code only with --reveal (audited).
    Order(OrderArgs),
    /// Finish every order left mid-way (also runs at every start).
    Recover,
    /// Record that a refund due was given back to the buyer.
    Refund(RefundArgs),
    /// Email an order's code again (audited).
    Resend(ResendArgs),
    /// Print an order's receipt again, marked REPRINT #n (recent sales only; audited).
    Reprint(ReprintArgs),
    /// Queued emails and print jobs.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Payment events from the relay.
    #[command(subcommand)]
    Relay(RelayCommand),
    /// Remote sales: an order the buyer pays through a payment link.
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Alerts for the owner (refund due, order failed, balance low, supplier down,
    /// price drift, email or receipt not sent, payment held): list, acknowledge.
    Alerts(AlertsArgs),
    /// Match the supplier's transactions with the orders; exit 1 on a discrepancy.
    Reconcile(ReconcileArgs),
    /// This till's shift and cash drawer: open with a float, cash in and out, close
    /// with the counted cash (the Z-report), the X-report of the open shift.
    #[command(subcommand)]
    Shift(ShiftCommand),
    /// Reports for the owner: sales, cost and margin over a period.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Run the sandbox supplier in the foreground.
    Sandbox(codetill_sandbox::SandboxArgs),
    /// The shop's staff: who signs in at the till, with which role.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copies of the database, and putting one back.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Tax invoices: the shop's tax id, invoice numbering, each category's rate.
    #[command(subcommand)]
    Tax(TaxCommand),
    /// The cash drawer on the receipt printer's kick-out port.
    #[command(subcommand)]
    Drawer(DrawerCommand),
    /// Buyers on record: find one, and purge contact data after the retention period.
    #[command(subcommand)]
    Buyers(BuyersCommand),
    /// Claims: sales taken while the supplier was down, bought when it answers.
    #[command(subcommand)]
    Claims(ClaimsCommand),
    /// What to send when something goes wrong.
    #[command(subcommand)]
    Support(SupportCommand),
}

#[derive(Subcommand, Debug)]
pub enum SupportCommand {
    /// A zip of the logs, the versions, the settings without secrets and the shop's
    /// state (no code, no key): PATH is a new file, or a folder to put a dated one in.
    Bundle { path: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum ClaimsCommand {
    /// The claim settings and the claims still waiting for the supplier.
    List,
    /// Take claims when the supplier is down (`on`) or refuse the sale (`off`, the
    /// default); `--limit-hours`: how long a claim waits before it is refunded.
    Set {
        state: String,
        #[arg(long)]
        limit_hours: Option<u32>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BuyersCommand {
    /// Buyers whose phone or email holds TEXT.
    Find { text: String },
    /// Keep buyers' contact data MONTHS after their last purchase (`none`: keep it).
    Retention { months: String },
    /// Purge now the contact data past the retention period (also done daily).
    Purge,
}

#[derive(Subcommand, Debug)]
pub enum DrawerCommand {
    /// Open the drawer with no sale (audited).
    Open,
    /// Whether the receipt printer has a drawer: on or off. With one, every cash
    /// sale opens it.
    Set { state: String },
}

#[derive(Subcommand, Debug)]
pub enum TaxCommand {
    /// The tax id, invoice prefix, financial year and the categories' rates.
    Show,
    /// Change the tax id (GSTIN, VAT number; `none` stops tax invoices), the invoice
    /// prefix, or the month the financial year starts (4: April).
    Set(TaxSetArgs),
    /// A category's tax rate in percent, inside its prices (`none` clears it).
    Rate { category: String, rate: String },
}

#[derive(Args, Debug)]
pub struct TaxSetArgs {
    #[arg(long)]
    pub tax_id: Option<String>,
    #[arg(long)]
    pub prefix: Option<String>,
    #[arg(long)]
    pub fy_start_month: Option<u32>,
}

#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Add a member of staff; the PIN (4 to 8 digits, unique among the staff) is
    /// read from stdin.
    Add(StaffAddArgs),
    /// Everyone on the staff (never a PIN).
    List,
    /// Disable a member of staff: they can no longer sign in.
    Disable { name: String },
    /// Enable a disabled member of staff again: they sign in with their old PIN.
    Enable { name: String },
}

#[derive(Args, Debug)]
pub struct StaffAddArgs {
    pub name: String,
    /// owner, manager or cashier.
    #[arg(long)]
    pub role: String,
    /// Read the PIN from stdin (one line).
    #[arg(long)]
    pub pin_stdin: bool,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the audit chain; exit 1, naming the row, where it breaks.
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// A consistent copy of the database (taken while tills sell; codes stay
    /// encrypted). PATH is a new file, or a folder to put a dated one in.
    Create { path: PathBuf },
    /// Replace the database with a backup, once it is checked (the current one is
    /// kept as codetill.db.before-restore). Close the app first.
    Restore { path: PathBuf },
}

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    #[command(subcommand)]
    pub command: Option<ReconcileCommand>,
    /// From this day (YYYY-MM-DD, from midnight UTC) or time (RFC 3339) until now;
    /// the last 24 hours by default.
    #[arg(long)]
    pub since: Option<String>,
    /// A supplier account by name (default: the shop's supplier).
    #[arg(long)]
    pub supplier: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ReconcileCommand {
    /// Fetch the codes of an order the supplier charged but that is not delivered
    /// here (open, or refund due), and deliver them to its buyer; nothing is bought.
    Deliver {
        /// ORD-000123
        order: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ShiftCommand {
    /// Open this till's shift (CODETILL_TILL_ID) with the float in the drawer.
    Open {
        /// The cash in the drawer at the start, in the shop's currency.
        #[arg(long, allow_hyphen_values = true)]
        float: String,
        #[arg(long, env = "CODETILL_STAFF")]
        staff: Option<String>,
    },
    /// Cash put into the drawer, with the reason.
    CashIn(CashMoveArgs),
    /// Cash taken out of the drawer, with the reason.
    CashOut(CashMoveArgs),
    /// Close the shift with the cash counted in the drawer; prints the Z-report.
    Close {
        #[arg(long, allow_hyphen_values = true)]
        counted: String,
        /// Also print the Z-report on the receipt printer (CODETILL_PRINTER).
        #[arg(long)]
        print: bool,
        /// en or hi (default: the shop's language).
        #[arg(long)]
        lang: Option<String>,
        #[arg(long, env = "CODETILL_STAFF")]
        staff: Option<String>,
    },
    /// The last Z-report of this till; with --x, the X-report of the open shift.
    Report {
        #[arg(long)]
        x: bool,
        /// Also print it on the receipt printer.
        #[arg(long)]
        print: bool,
        /// en or hi (default: the shop's language).
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct CashMoveArgs {
    /// The amount, in the shop's currency.
    #[arg(allow_hyphen_values = true)]
    pub amount: String,
    /// Why the cash goes in or out (kept with the shift).
    #[arg(long)]
    pub reason: String,
    #[arg(long, env = "CODETILL_STAFF")]
    pub staff: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Sales, cost, margin and margin % of the delivered orders paid in the period.
    Sales(ReportSalesArgs),
}

#[derive(Args, Debug)]
pub struct ReportSalesArgs {
    /// First day, YYYY-MM-DD (the shop's local days).
    #[arg(long)]
    pub from: String,
    /// Last day, included.
    #[arg(long)]
    pub to: String,
    /// day, week, month, product, category, supplier, staff, payment or till.
    #[arg(long, default_value = "day")]
    pub by: String,
    /// One till's sales only (its name, as `orders` and shifts keep it); the whole
    /// shop without it.
    #[arg(long)]
    pub till: Option<String>,
    /// The table as CSV on stdout (instead of text or JSON).
    #[arg(long)]
    pub csv: bool,
}

#[derive(Subcommand, Debug)]
pub enum FxCommand {
    /// Set a rate by hand: units of TO for one FROM (e.g. `fx set USD INR 84.10`).
    Set {
        from: String,
        to: String,
        /// A negative rate reaches the check that names it.
        #[arg(allow_hyphen_values = true)]
        rate: String,
    },
    /// Read daily rates from a URL in the ECB eurofxref-daily XML format (now, and
    /// daily in the app).
    Source { url: String },
    /// The rates in use, their source and age.
    Show,
}

#[derive(Args, Debug)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: Option<AlertsCommand>,
    /// Acknowledged alerts too (newest first), not only the open ones.
    #[arg(long)]
    pub all: bool,
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,
}

#[derive(Subcommand, Debug)]
pub enum AlertsCommand {
    /// The owner has seen it: it leaves the open list (the rule may raise it again).
    Ack {
        /// The alert's number, as `codetill alerts` lists it.
        id: i64,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum PayMethod {
    Cash,
    Card,
}

#[derive(Args, Debug)]
pub struct SellArgs {
    /// What is sold: one sku, or a basket of lines SKU[:QTY] (quantity 1 to 10),
    /// paid once.
    #[arg(required = true, num_args = 1.., value_name = "SKU[:QTY]")]
    pub skus: Vec<String>,
    /// The face value to buy, for an open-amount product (in its face currency,
    /// within the bounds `search` shows).
    #[arg(long)]
    pub amount: Option<String>,
    /// How the buyer pays.
    #[arg(long, value_enum)]
    pub pay: PayMethod,
    /// Cash handed over (cash only).
    #[arg(long, required_if_eq("pay", "cash"), conflicts_with = "terminal_ref")]
    pub tendered: Option<String>,
    /// The card terminal's reference for the payment (card only).
    #[arg(long, required_if_eq("pay", "card"))]
    pub terminal_ref: Option<String>,
    /// The buyer's email: the code is emailed to it (queued if the server is down).
    #[arg(long)]
    pub email: Option<String>,
    /// Print a receipt on CODETILL_PRINTER (queued if the printer is off).
    #[arg(long)]
    pub print: bool,
    /// The buyer's language for the receipt and the email: en or hi.
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// The buyer's tax id (GSTIN, VAT number) for the tax invoice.
    #[arg(long)]
    pub buyer_tax_id: Option<String>,
    /// The buyer's phone: the sale is kept under the buyer (with --email too).
    #[arg(long)]
    pub phone: Option<String>,
    /// The buyer's name, kept with their phone or email.
    #[arg(long)]
    pub buyer_name: Option<String>,
    /// Who takes the payment (default: CODETILL_STAFF, else the login name).
    #[arg(long, env = "CODETILL_STAFF")]
    pub staff: Option<String>,
}

#[derive(Args, Debug)]
pub struct OrdersArgs {
    /// quoted, paid, ordering, unknown, delivered, failed, refund_due, refunded, cancelled
    #[arg(long)]
    pub status: Option<String>,
    /// Orders created on or after this date (YYYY-MM-DD) or instant (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long)]
    pub sku: Option<String>,
    /// A buyer's phone or email: their orders.
    #[arg(long)]
    pub buyer: Option<String>,
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub limit: u32,
}

#[derive(Args, Debug)]
pub struct OrderArgs {
    /// ORD-000123 (or the order's client_order_id).
    pub id: String,
    /// Show the code (written to the audit log).
    #[arg(long)]
    pub reveal: bool,
    /// Why the code is shown (kept in the audit log).
    #[arg(long, requires = "reveal")]
    pub reason: Option<String>,
    #[arg(long, env = "CODETILL_STAFF")]
    pub staff: Option<String>,
}

#[derive(Args, Debug)]
pub struct RefundArgs {
    /// ORD-000123
    pub id: String,
    /// How the money went back: cash or card.
    #[arg(long, value_enum)]
    pub method: PayMethod,
    /// The terminal's refund reference, if any.
    #[arg(long)]
    pub reference: Option<String>,
    #[arg(long, env = "CODETILL_STAFF")]
    pub staff: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum SupplierCommand {
    /// Set the supplier's base URL and, with --key-stdin, its API key (kept in the OS keyring).
    Set {
        #[arg(long)]
        url: String,
        /// Read the API key from stdin.
        #[arg(long)]
        key_stdin: bool,
    },
    /// Show the supplier in use, or the account NAME (never a key).
    Show { name: Option<String> },
    /// Add a supplier account (its key or client_id:client_secret from stdin, to the keyring).
    Add(SupplierAddArgs),
    /// The shop's supplier accounts.
    List,
    /// Take an account into routing.
    Enable { name: String },
    /// Take an account out of routing (its products stay, its orders keep their history).
    Disable { name: String },
    /// Remove an account and its key.
    Remove { name: String },
    /// Authenticate and read the balance; exit 0 when the supplier answers.
    Test { name: String },
    /// The offers of one product from the enabled suppliers: price, cost, stock.
    Offers { sku: String },
    /// Make SKU an offer of the product TO (the same card from another supplier).
    Link {
        sku: String,
        #[arg(long)]
        to: String,
    },
    /// Make SKU a product of its own again (syncs leave it so).
    Unlink { sku: String },
    /// Record money put into a supplier account (reconciliation counts it).
    Topup(TopupArgs),
    /// The top-ups recorded, newest first.
    Topups {
        /// Only this account's (the shop's single supplier: none).
        #[arg(long)]
        supplier: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct TopupArgs {
    /// The amount put in, in the account's currency (e.g. 500.00).
    #[arg(allow_hyphen_values = true)]
    pub amount: String,
    /// Its currency (default: the account's, when it was added with one).
    #[arg(long)]
    pub currency: Option<String>,
    /// The supplier account (default: the shop's supplier).
    #[arg(long)]
    pub supplier: Option<String>,
    /// When it reached the account: YYYY-MM-DD or RFC 3339 (default: now).
    #[arg(long)]
    pub date: Option<String>,
    /// The bank's or the supplier's reference.
    #[arg(long)]
    pub reference: Option<String>,
    #[arg(long, env = "CODETILL_STAFF")]
    pub staff: Option<String>,
}

#[derive(Args, Debug)]
pub struct SupplierAddArgs {
    /// The account's name in this shop (letters, digits, - and _).
    pub name: String,
    /// wholesale, reloadly, reloadly-airtime, bamboo or ding.
    #[arg(long)]
    pub kind: String,
    /// The supplier API's base address (sandbox or live).
    #[arg(long)]
    pub url: String,
    /// Reloadly's token host (default https://auth.reloadly.com).
    #[arg(long)]
    pub auth_url: Option<String>,
    /// Bamboo's AccountId; Ding's shop phone number for PIN products.
    #[arg(long)]
    pub account: Option<String>,
    /// The currency the account is kept in.
    #[arg(long)]
    pub account_currency: Option<String>,
    /// Read the key (Reloadly and Bamboo: client_id:client_secret) from stdin.
    #[arg(long)]
    pub key_stdin: bool,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Walk the whole catalog (finds discontinued products).
    #[arg(long, conflicts_with = "incremental")]
    pub full: bool,
    /// Only what changed since the last sync.
    #[arg(long)]
    pub incremental: bool,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to find (prefixes of sku, name, brand, region).
    pub query: String,
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub limit: u32,
}

#[derive(Subcommand, Debug)]
pub enum PricingCommand {
    /// Set the global rule, or a category's with --category.
    Set(PricingSetArgs),
    /// Show the rules in force.
    Show,
    /// Products whose wholesale cost moved more than 3% since their price was last
    /// reviewed: the new retail their rule gives and the margin it keeps.
    Proposals,
    /// Apply the re-price proposals of these products, in one transaction.
    Apply {
        #[arg(required = true)]
        skus: Vec<String>,
        #[arg(long, env = "CODETILL_STAFF")]
        staff: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct PricingSetArgs {
    /// gift_card, game_topup, mobile_topup or software_key; omit for the global rule.
    #[arg(long)]
    pub category: Option<String>,
    /// Payment fee, percent of retail (with --fx and --margin).
    #[arg(long, requires_all = ["fx", "margin"])]
    pub fee: Option<String>,
    /// FX buffer, percent of retail.
    #[arg(long, requires_all = ["fee", "margin"])]
    pub fx: Option<String>,
    /// Margin, percent of retail.
    #[arg(long, requires_all = ["fee", "fx"])]
    pub margin: Option<String>,
    /// The currency the shop sells in (ISO 4217; `none`: each product in its
    /// supplier's). Every price is converted at the rates `codetill fx` keeps.
    #[arg(long, required_unless_present = "fee")]
    pub shop_currency: Option<String>,
    /// Rounding: none, .99, .05, .50 or 1.
    #[arg(long)]
    pub round_to: Option<String>,
    /// Least margin per sale (an amount); sales below it are refused.
    #[arg(long, requires = "currency")]
    pub floor: Option<String>,
    /// Currency of --floor.
    #[arg(long, requires = "floor")]
    pub currency: Option<String>,
}

#[derive(Args, Debug)]
pub struct ResendArgs {
    /// ORD-000123
    pub id: String,
    /// Send to this address instead of the order's.
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long, env = "CODETILL_STAFF")]
    pub staff: Option<String>,
}

#[derive(Args, Debug)]
pub struct ReprintArgs {
    /// ORD-000123
    pub id: String,
    #[arg(long, env = "CODETILL_STAFF")]
    pub staff: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum OutboxCommand {
    /// Deliver every queued email and print job now.
    Send,
    /// Show emails and print jobs, newest first.
    List(OutboxListArgs),
}

#[derive(Args, Debug)]
pub struct OutboxListArgs {
    /// queued, sent or failed
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub limit: u32,
}

#[derive(Subcommand, Debug)]
pub enum RelayCommand {
    /// Take payment events from the relay (CODETILL_RELAY_URL, CODETILL_RELAY_TOKEN)
    /// and act on them: pay and fulfil remote orders, hold the doubtful for review.
    Pull {
        /// Keep following (long-poll), reconnecting while the relay is away; Ctrl-C stops.
        #[arg(long)]
        follow: bool,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ProviderArg {
    Stripe,
    Btcpay,
    Nowpayments,
    Razorpay,
}

#[derive(Subcommand, Debug)]
pub enum RemoteCommand {
    /// Quote SKU live, open an order awaiting payment and make its payment link.
    New(RemoteNewArgs),
}

#[derive(Args, Debug)]
pub struct RemoteNewArgs {
    pub sku: String,
    /// The face value to buy, for an open-amount product (in its face currency,
    /// within the product's bounds).
    #[arg(long)]
    pub amount: Option<String>,
    /// The buyer's email: the code is sent there once paid.
    #[arg(long)]
    pub email: String,
    /// Who makes the payment link.
    #[arg(long, value_enum)]
    pub provider: ProviderArg,
    /// The buyer's language for the email with the code: en or hi.
    #[arg(long, default_value = "en")]
    pub lang: String,
    #[arg(long, env = "CODETILL_STAFF")]
    pub staff: Option<String>,
}

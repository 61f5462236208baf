// One sale at the counter, from the chosen products to how it ended: the basket's
// lines (each product with its quantity, its open amount and its live quote), the
// selected line, how the buyer pays, and where the sale is (`Stage`). Counter.svelte
// shows it; its keys and the payment form move it on through these methods. A
// basket of one line with a quantity of one is sold as a single sale (sell_cash /
// sell_card), exactly as before baskets; more is one basket sale, paid once.

import { holdLock } from '../session/session.svelte';
import { api, ApiError } from '../lib/api';
import { add, parseDecimal, times, toPlain } from '../lib/decimal';
import { locale, type Locale } from '../lib/i18n/index.svelte';
import type {
  BasketView,
  ErrorCode,
  Money,
  OrderView,
  Payment,
  Product,
  ProviderKind,
  Quote,
  RemoteSale,
} from '../lib/types';

export type PayMethod = 'cash' | 'card' | 'remote';

/** Most units of one line (core's limit). */
export const MAX_QUANTITY = 10;
/** Most lines in a basket (core's limit). */
export const MAX_LINES = 20;

/** One line of the basket. */
export interface Line {
  product: Product;
  /** The face value chosen for an open-amount product ("25.00"), once checked. */
  amount: string | null;
  quantity: number;
  /** Its live quote, once the supplier answered. */
  quote: Quote | null;
  checking: boolean;
  /** Why it cannot be sold now. */
  refusal: ApiError | null;
  /** Bumped by every quote of this line: an answer to an older one is dropped. */
  generation: number;
}

/** Where the sale is. Only `shop` takes search and payment input. */
export type Stage =
  | { kind: 'shop' }
  | { kind: 'ordering'; product: Product; payment: Payment }
  | { kind: 'delivered'; order: OrderView; email: string | null }
  | { kind: 'basket'; basket: BasketView; email: string | null }
  /** A sale taken as a claim, or a claim's slip brought back (`returned`). */
  | { kind: 'claim'; order: OrderView; email: string | null; returned: boolean }
  | { kind: 'problem'; order: OrderView | null; error: ApiError | null }
  | { kind: 'linking'; product: Product }
  | { kind: 'remote'; sale: RemoteSale; product: Product };
/** Errors that prove nothing was recorded for this attempt: stay and fix it. */
const BEFORE_PAYMENT: readonly ErrorCode[] = [
  'errors.validation',
  'errors.unknown_sku',
  'errors.short_tender',
  'errors.refused.discontinued',
  'errors.refused.out_of_stock',
  'errors.refused.balance_too_low',
  'errors.refused.below_floor',
  'errors.refused.supplier_unavailable',
  'errors.no_supplier',
  'errors.busy',
];

export class Sale {
  /** The basket, in the order the lines were added. */
  lines = $state<Line[]>([]);
  /** The selected line (+, -, Delete act on it; the quote panel shows it). */
  index = $state(-1);
  method = $state<PayMethod>('cash');
  /** Why the last payment or link attempt did not sell (nothing was charged). */
  payError = $state<ApiError | null>(null);
  stage = $state<Stage>({ kind: 'shop' });

  /** The selected line. */
  get line(): Line | null {
    return this.lines[this.index] ?? null;
  }
  /** The product on the quote panel (the selected line's). */
  get selected(): Product | null {
    return this.line?.product ?? null;
  }
  get amount(): string | null {
    return this.line?.amount ?? null;
  }
  get quote(): Quote | null {
    return this.line?.quote ?? null;
  }
  get checking(): boolean {
    return this.line?.checking ?? false;
  }
  get refusal(): ApiError | null {
    return this.line?.refusal ?? null;
  }

  /** More than one unit: shown as a basket and sold as one. */
  get isBasket(): boolean {
    return this.lines.length > 1 || (this.lines[0]?.quantity ?? 1) > 1;
  }

  /** Units in the basket. */
  get units(): number {
    return this.lines.reduce((n, l) => n + l.quantity, 0);
  }

  /**
   * What the basket costs, summed exactly from the live quotes; null while a line
   * is unquoted or refused, or when lines are priced in different currencies.
   */
  get total(): Money | null {
    const first = this.lines[0]?.quote;
    if (!first) return null;
    let sum = { units: 0n, scale: 0 };
    for (const l of this.lines) {
      const price = l.quote?.price;
      const d = price ? parseDecimal(price.amount) : null;
      if (!price || !d || l.refusal || price.currency !== first.price.currency) return null;
      sum = add(sum, times(d, l.quantity));
    }
    return { amount: toPlain(sum, Math.max(sum.scale, 0)), currency: first.price.currency };
  }

  /** A sale is under way: nothing may interrupt or repeat it. */
  get busy(): boolean {
    return this.stage.kind === 'ordering' || this.stage.kind === 'linking';
  }

  /**
   * Enter on a search result (or a scan): a line for `p`. The same product again
   * (not an open-amount one) adds one to its line; a selected line that never
   * became sellable (refused, or its amount never typed) is replaced, as the quote
   * panel was before baskets.
   */
  choose(p: Product) {
    this.payError = null;
    const same = p.open_amount ? -1 : this.lines.findIndex((l) => l.product.sku === p.sku && !l.refusal);
    if (same >= 0) {
      this.index = same;
      this.changeQuantity(1);
      return;
    }
    const current = this.line;
    if (current && (current.refusal || (current.product.open_amount && current.amount === null))) {
      this.lines.splice(this.index, 1);
    }
    if (this.lines.length >= MAX_LINES) return;
    this.lines.push({ product: p, amount: null, quantity: 1, quote: null, checking: false, refusal: null, generation: 0 });
    this.index = this.lines.length - 1;
    // An open-amount product is quoted once its amount is typed (`setAmount`).
    if (!p.open_amount) void this.requoteLine(this.lines[this.index]!);
  }

  /** The buyer's face value for the open-amount line selected: quote it. */
  setAmount(amount: string) {
    const line = this.line;
    if (!line?.product.open_amount) return;
    line.amount = amount;
    void this.requoteLine(line);
  }

  /** Asks the supplier again for the selected line (after a refusal). */
  async requote(p: Product) {
    const line = this.lines.find((l) => l.product.sku === p.sku);
    if (line) await this.requoteLine(line);
  }

  /** Asks the supplier for the live price and stock of a line. */
  async requoteLine(line: Line) {
    const mine = ++line.generation;
    line.quote = null;
    line.refusal = null;
    this.payError = null;
    line.checking = true;
    try {
      const q = await api.quote(line.product.sku, line.product.open_amount ? line.amount : null);
      if (mine !== line.generation) return;
      line.quote = q;
    } catch (e) {
      if (mine !== line.generation) return;
      line.refusal = ApiError.from(e);
    } finally {
      if (mine === line.generation) line.checking = false;
    }
  }

  /** + and -: the selected line's quantity, 1 to 10 (- on 1 keeps the line: Delete removes). */
  changeQuantity(by: number) {
    const line = this.line;
    if (!line) return;
    const next = Math.min(MAX_QUANTITY, Math.max(1, line.quantity + by));
    if (next !== line.quantity) {
      line.quantity = next;
      this.payError = null;
    }
  }

  /** Selects the line `by` rows up or down (wrapping). */
  moveSelection(by: number) {
    const n = this.lines.length;
    if (n === 0) return;
    this.index = (this.index + by + n) % n;
  }

  select(i: number) {
    if (i >= 0 && i < this.lines.length) this.index = i;
  }

  /** Delete: the selected line leaves the basket; the one below (or above) is selected. */
  removeLine() {
    if (!this.line) return;
    this.lines[this.index]!.generation++;
    this.lines.splice(this.index, 1);
    this.index = Math.min(this.index, this.lines.length - 1);
    this.payError = null;
  }

  /** Pay and issue the codes: "ordering…", then delivered (or the basket's screen) or a problem slip. */
  async pay(payment: Payment) {
    if (this.stage.kind !== 'shop' || !this.line || this.total === null) return;
    if (this.isBasket) return this.payBasket(payment);
    const line = this.lines[0]!;
    const product = line.product;
    const amount = product.open_amount ? line.amount : null;
    this.payError = null;
    this.stage = { kind: 'ordering', product, payment };
    try {
      // The receipt and the email speak the language on the screen.
      const order = await holdLock(
        payment.method === 'cash'
          ? api.sellCash(product.sku, payment.tendered, payment.email, locale(), amount, payment.buyer)
          : api.sellCard(product.sku, payment.terminalRef, payment.email, locale(), amount, payment.buyer),
      );
      this.stage =
        order.status === 'delivered' && (order.codes?.length ?? 0) > 0
          ? { kind: 'delivered', order, email: payment.email }
          : order.claim && order.status !== 'refund_due' && order.status !== 'failed'
            ? { kind: 'claim', order, email: payment.email, returned: false }
            : { kind: 'problem', order, error: null };
    } catch (e) {
      await this.notSold(ApiError.from(e));
    }
  }

  /** Every line paid at once; the screen after shows each line's codes or refund. */
  private async payBasket(payment: Payment) {
    const lines = this.lines.map((l) => ({
      sku: l.product.sku,
      quantity: l.quantity,
      ...(l.product.open_amount && l.amount ? { amount: l.amount } : {}),
    }));
    this.payError = null;
    this.stage = { kind: 'ordering', product: this.lines[0]!.product, payment };
    try {
      const basket = await holdLock(
        payment.method === 'cash'
          ? api.sellBasketCash(lines, payment.tendered, payment.email, locale(), payment.buyer)
          : api.sellBasketCard(lines, payment.terminalRef, payment.email, locale(), payment.buyer),
      );
      this.stage = { kind: 'basket', basket, email: payment.email };
    } catch (e) {
      await this.notSold(ApiError.from(e));
    }
  }

  /**
   * The buyer is back with a claim slip: its number (typed or scanned) opens the
   * order's state. Only from a counter with no sale started; resolves to the error
   * when no order answers to it (the search box shows it).
   */
  async openClaim(number: string): Promise<ApiError | null> {
    if (this.stage.kind !== 'shop' || this.lines.length > 0) return null;
    try {
      const order = await api.order(number.trim().toUpperCase());
      if (this.stage.kind !== 'shop') return null;
      if (!order.claim) return new ApiError('errors.not_found', `${order.order_id} is not a claim`);
      this.stage = { kind: 'claim', order, email: order.email ?? null, returned: true };
      return null;
    } catch (e) {
      return ApiError.from(e);
    }
  }

  /** A sale that did not go through: stay and fix it when nothing was recorded. */
  private async notSold(err: ApiError) {
    if (BEFORE_PAYMENT.includes(err.code)) {
      this.stage = { kind: 'shop' };
      this.payError = err;
      // The price or the stock moved: show the new quotes (keeps the error shown).
      if (err.code === 'errors.short_tender' || err.code.startsWith('errors.refused.')) {
        await Promise.all(this.lines.map((l) => this.requoteLine(l)));
        this.payError = err;
      }
    } else {
      this.stage = { kind: 'problem', order: null, error: err };
    }
  }

  /**
   * Remote: a payment link for `email` (one product: the selected line). Nothing is
   * charged here, so any error stays on the form: resolves to true when the attempt
   * failed and the form says why.
   */
  async sellRemotely(email: string, provider: ProviderKind, language: Locale): Promise<boolean> {
    if (this.stage.kind !== 'shop' || !this.selected || !this.quote) return false;
    const product = this.selected;
    this.payError = null;
    this.stage = { kind: 'linking', product };
    try {
      const sale = await api.sellRemotely(product.sku, email, provider, language);
      this.stage = { kind: 'remote', sale, product };
      return false;
    } catch (e) {
      const err = ApiError.from(e);
      this.stage = { kind: 'shop' };
      this.payError = err;
      if (err.code.startsWith('errors.refused.')) {
        await this.requote(product);
        this.payError = err;
      }
      return true;
    }
  }

  /** How the buyer pays (F3, F4, F5); an error about the other way goes. */
  payBy(method: PayMethod) {
    this.method = method;
    this.payError = null;
  }

  /** Empties the basket: no product chosen. */
  close() {
    for (const l of this.lines) l.generation++;
    this.lines = [];
    this.index = -1;
    this.payError = null;
  }

  /** After the delivery screen or a problem slip: a fresh sale. */
  reset() {
    this.stage = { kind: 'shop' };
    this.method = 'cash';
    this.close();
  }
}

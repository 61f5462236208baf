// One sale at the counter, from the chosen product to how it ended: the live quote,
// how the buyer pays, and where the sale is (`Stage`). Counter.svelte shows it; its
// keys and the payment form move it on through these methods.

import { holdLock } from '../session/session.svelte';
import { api, ApiError } from '../lib/api';
import { locale, type Locale } from '../lib/i18n/index.svelte';
import type { ErrorCode, OrderView, Payment, Product, ProviderKind, Quote, RemoteSale } from '../lib/types';

export type PayMethod = 'cash' | 'card' | 'remote';

/** Where the sale is. Only `shop` takes search and payment input. */
export type Stage =
  | { kind: 'shop' }
  | { kind: 'ordering'; product: Product; payment: Payment }
  | { kind: 'delivered'; order: OrderView; email: string | null }
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
  /** The product on the quote panel. */
  selected = $state<Product | null>(null);
  /** The face value chosen for an open-amount product ("25.00"), once checked. */
  amount = $state<string | null>(null);
  /** Its live quote, once the supplier answered. */
  quote = $state<Quote | null>(null);
  checking = $state(false);
  /** Why it cannot be sold now. */
  refusal = $state<ApiError | null>(null);
  method = $state<PayMethod>('cash');
  /** Why the last payment or link attempt did not sell (nothing was charged). */
  payError = $state<ApiError | null>(null);
  stage = $state<Stage>({ kind: 'shop' });

  /** Bumped by every quote and every close: an answer to an older one is dropped. */
  #generation = 0;

  /** A sale is under way: nothing may interrupt or repeat it. */
  get busy(): boolean {
    return this.stage.kind === 'ordering' || this.stage.kind === 'linking';
  }

  choose(p: Product) {
    this.selected = p;
    this.amount = null;
    // An open-amount product is quoted once its amount is typed (`setAmount`).
    if (p.open_amount) {
      this.#generation++;
      this.quote = null;
      this.refusal = null;
      this.payError = null;
      this.checking = false;
      return;
    }
    void this.requote(p);
  }

  /** The buyer's face value for the open-amount product on the panel: quote it. */
  setAmount(amount: string) {
    if (!this.selected?.open_amount) return;
    this.amount = amount;
    void this.requote(this.selected);
  }

  /** Asks the supplier for the live price and stock of `p`. */
  async requote(p: Product) {
    const mine = ++this.#generation;
    this.quote = null;
    this.refusal = null;
    this.payError = null;
    this.checking = true;
    try {
      const q = await api.quote(p.sku, p.open_amount ? this.amount : null);
      if (mine !== this.#generation) return;
      this.quote = q;
    } catch (e) {
      if (mine !== this.#generation) return;
      this.refusal = ApiError.from(e);
    } finally {
      if (mine === this.#generation) this.checking = false;
    }
  }

  /** Pay and issue the code: "ordering…", then delivered or a problem slip. */
  async pay(payment: Payment) {
    if (this.stage.kind !== 'shop' || !this.selected || !this.quote) return;
    const product = this.selected;
    const amount = product.open_amount ? this.amount : null;
    this.payError = null;
    this.stage = { kind: 'ordering', product, payment };
    try {
      // The receipt and the email speak the language on the screen.
      const order = await holdLock(
        payment.method === 'cash'
          ? api.sellCash(product.sku, payment.tendered, payment.email, locale(), amount)
          : api.sellCard(product.sku, payment.terminalRef, payment.email, locale(), amount),
      );
      this.stage =
        order.status === 'delivered' && (order.codes?.length ?? 0) > 0
          ? { kind: 'delivered', order, email: payment.email }
          : { kind: 'problem', order, error: null };
    } catch (e) {
      const err = ApiError.from(e);
      if (BEFORE_PAYMENT.includes(err.code)) {
        this.stage = { kind: 'shop' };
        this.payError = err;
        // The price or the stock moved: show the new quote (keeps the error shown).
        if (err.code === 'errors.short_tender' || err.code.startsWith('errors.refused.')) {
          await this.requote(product);
          this.payError = err;
        }
      } else {
        this.stage = { kind: 'problem', order: null, error: err };
      }
    }
  }

  /**
   * Remote: a payment link for `email`. Nothing is charged here, so any error stays
   * on the form: resolves to true when the attempt failed and the form says why.
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

  /** Closes the quote: no product chosen. */
  close() {
    this.#generation++;
    this.selected = null;
    this.amount = null;
    this.quote = null;
    this.refusal = null;
    this.checking = false;
    this.payError = null;
  }

  /** After the delivery screen or a problem slip: a fresh sale. */
  reset() {
    this.stage = { kind: 'shop' };
    this.method = 'cash';
    this.close();
  }
}

// The price rule being edited on the pricing screen: its scope (global or a category),
// its fields as typed, the live preview core prices from them on every edit, and
// saving it — or giving a category back to the global rule. Nothing is saved until then.

import { api, ApiError } from '../lib/api';
import type { Category, PricePreview, PriceRule, PricingView, RepriceReport, RuleInput } from '../lib/types';

const PREVIEW_ROWS = 8;
const FIELDS = ['fee', 'fx', 'margin', 'round-to', 'floor', 'currency'] as const;
export type Field = (typeof FIELDS)[number];
export type Scope = Category | 'global';

/** Core names the field first ("margin: …"), so the mistake is shown beside it. */
function fieldOf(e: ApiError): Field | null {
  const name = e.message.split(':', 1)[0] ?? '';
  return (FIELDS as readonly string[]).includes(name) ? (name as Field) : null;
}

export class RuleDraft {
  /** The saved rules, as core has them. */
  view = $state<PricingView | null>(null);
  scope = $state<Scope>('global');
  fee = $state('');
  fx = $state('');
  margin = $state('');
  rounding = $state('.99');
  floor = $state('');

  preview = $state<PricePreview[]>([]);
  previewing = $state(false);
  /** What core refused in the rule, and the field it named. */
  error = $state<{ field: Field | null; error: ApiError } | null>(null);
  saved = $state<RepriceReport | null>(null);
  /** The last save was the removal of the category's own rule. */
  removed = $state(false);
  saving = $state(false);

  readonly category = $derived(this.scope === 'global' ? null : this.scope);
  readonly ownRule = $derived(this.scope !== 'global' && this.view?.rules.by_category[this.scope] != null);
  readonly currency = $derived(this.view?.currency ?? this.#ruleFor(this.scope)?.floor?.currency ?? null);

  #stored: () => Promise<void>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Only the newest preview answer is shown (answers can overtake each other). */
  #seq = 0;

  /** `stored` runs after each save, before the preview is asked again. */
  constructor(stored: () => Promise<void>) {
    this.#stored = stored;
  }

  /** The saved rules, the form filled with the scope's, and its preview. */
  async load() {
    this.view = await api.priceRules();
    this.#fill(this.scope);
    void this.refreshPreview();
  }

  dispose() {
    clearTimeout(this.#timer);
  }

  /** The field core refused (a bad floor currency shows on the floor). */
  invalid(f: Field): boolean {
    return this.error?.field === f || (f === 'floor' && this.error?.field === 'currency');
  }

  setScope(s: Scope) {
    this.scope = s;
    this.#fill(s);
    this.saved = null;
    void this.refreshPreview();
  }

  /** A field was typed in: preview again once the typing pauses. */
  edited() {
    this.saved = null;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refreshPreview(), 150);
  }

  async refreshPreview() {
    const seq = ++this.#seq;
    this.previewing = true;
    try {
      const rows = await api.pricePreview(this.category, this.#input(), PREVIEW_ROWS);
      if (seq !== this.#seq) return;
      this.preview = rows;
      this.error = null;
    } catch (e) {
      if (seq !== this.#seq) return;
      const error = ApiError.from(e);
      this.error = { field: fieldOf(error), error };
    } finally {
      if (seq === this.#seq) this.previewing = false;
    }
  }

  async save() {
    await this.#store(() => api.savePriceRule(this.category, this.#input()), false);
  }

  /** The category goes back to the global rule; the form shows that rule. */
  async removeRule() {
    if (this.scope === 'global') return;
    const c = this.scope;
    await this.#store(() => api.removePriceRule(c), true);
    this.#fill(this.scope);
    await this.refreshPreview();
  }

  async #store(change: () => Promise<RepriceReport>, removing: boolean) {
    if (this.saving) return;
    this.saving = true;
    try {
      this.saved = await change();
      this.removed = removing;
      this.error = null;
      this.view = await api.priceRules();
      await this.#stored();
      await this.refreshPreview();
    } catch (err) {
      const error = ApiError.from(err);
      this.error = { field: fieldOf(error), error };
    } finally {
      this.saving = false;
    }
  }

  #ruleFor(s: Scope): PriceRule | undefined {
    if (!this.view) return undefined;
    return s === 'global' ? this.view.rules.global : (this.view.rules.by_category[s] ?? this.view.rules.global);
  }

  #fill(s: Scope) {
    const r = this.#ruleFor(s);
    if (!r) return;
    this.fee = r.fee_pct;
    this.fx = r.fx_pct;
    this.margin = r.margin_pct;
    this.rounding = r.rounding;
    this.floor = r.floor?.amount ?? '';
  }

  #input(): RuleInput {
    const floor = this.floor.trim();
    return {
      fee_pct: this.fee,
      fx_pct: this.fx,
      margin_pct: this.margin,
      rounding: this.rounding,
      floor: floor === '' ? null : floor,
      floor_currency: floor === '' ? null : this.currency,
    };
  }
}

// A barcode scanner types like a very fast keyboard and ends with Enter. Into the
// search box that is simply a search (Search.svelte picks the product); typed into
// the cash received (where the focus is after each line is added) it must not stay
// there, nor may its Enter confirm the payment: this tells such a burst from a
// person typing, so the counter can take the text back out of the field and add the
// scanned product.

/** Keys closer than this are a scanner's; a person's come slower. */
export const SCAN_GAP_MS = 35;
/** The shortest code taken for a scan (a cash amount typed fast is shorter). */
export const MIN_SCAN = 6;

export interface Scan {
  text: string;
  /** The field the scan was typed into, and its value before the scan began. */
  field: HTMLInputElement | null;
  before: string;
}

export class ScanBuffer {
  #text = '';
  #last = -Infinity;
  #field: HTMLInputElement | null = null;
  #before = '';

  /** A printable key `ch`, about to be typed into `field`, at `at` ms. */
  key(ch: string, at: number, field: HTMLInputElement | null): void {
    if (at - this.#last > SCAN_GAP_MS || field !== this.#field) {
      this.#text = '';
      this.#field = field;
      this.#before = field?.value ?? '';
    }
    this.#text += ch;
    this.#last = at;
  }

  /** Enter at `at`: the scan it ends, or null when a person was typing. */
  enter(at: number): Scan | null {
    const scan =
      this.#text.length >= MIN_SCAN && at - this.#last <= SCAN_GAP_MS
        ? { text: this.#text, field: this.#field, before: this.#before }
        : null;
    this.reset();
    return scan;
  }

  reset(): void {
    this.#text = '';
    this.#last = -Infinity;
    this.#field = null;
    this.#before = '';
  }
}

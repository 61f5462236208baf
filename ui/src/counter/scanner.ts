// A barcode scanner types like a very fast keyboard and ends with Enter. Into the
// search box that is simply a search (Search.svelte picks the product); typed into
// any other field (the cash received, an email) it must not stay there, nor may its
// Enter confirm a payment: this tells such a burst from a person typing, so the
// counter can take the text back out of the field and add the scanned product.

/** Keys closer than this are a scanner's; a person's come slower. */
export const SCAN_GAP_MS = 35;
/** The shortest code taken for a scan. */
export const MIN_SCAN = 4;

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

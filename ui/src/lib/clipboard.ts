/**
 * A code copied to the clipboard is money lying on the desk: it is wiped after
 * CLEAR_AFTER_MS, as password managers do, unless something else was copied since
 * (then the clipboard is the cashier's again and is left alone).
 */
export const CLEAR_AFTER_MS = 30_000;

let pending: ReturnType<typeof setTimeout> | undefined;

/** Wipes `text` from the clipboard later, if it is still what the clipboard holds. */
export function clearLater(text: string, clipboard: Clipboard = navigator.clipboard): void {
  clearTimeout(pending);
  pending = setTimeout(() => {
    pending = undefined;
    void wipeIfStill(text, clipboard);
  }, CLEAR_AFTER_MS);
}

async function wipeIfStill(text: string, clipboard: Clipboard): Promise<void> {
  try {
    if ((await clipboard.readText()) === text) await clipboard.writeText('');
  } catch {
    // The clipboard cannot be read here: whether it still holds the code is unknown,
    // and wiping what the cashier copied since would be worse.
  }
}

/**
 * Copies plain text that is no secret (a folder, a file's path): the Clipboard API
 * first, else `field`'s text selected and the old copy command. Whether it was copied;
 * when not, the text is still on the screen, selected, for Ctrl+C.
 */
export async function copyText(
  text: string,
  field?: HTMLInputElement | null,
  clipboard: Clipboard | undefined = globalThis.navigator?.clipboard,
): Promise<boolean> {
  try {
    if (!clipboard) throw new Error('no clipboard');
    await clipboard.writeText(text);
    return true;
  } catch {
    if (!field) return false;
    field.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

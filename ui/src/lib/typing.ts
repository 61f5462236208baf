// Whether a key belongs to the element that has it: the screens' letter and function
// keys must never take a keystroke meant for a field.

/** A field being typed in. */
export function typingIn(el: EventTarget | null): boolean {
  return (
    el instanceof HTMLInputElement ||
    el instanceof HTMLTextAreaElement ||
    el instanceof HTMLSelectElement ||
    (el instanceof HTMLElement && el.isContentEditable)
  );
}

/** Elements that want printable keys themselves (a button wants its Space). */
export function takesKeys(el: Element | null): boolean {
  return typingIn(el) || el instanceof HTMLButtonElement;
}

// An email address as core's `check_email` accepts it, so that the counter flags an
// address the sale would refuse before the buyer leaves: something before an @, and
// a domain after it with a dot inside (not at either end), no spaces, 254 bytes of
// UTF-8 at most.

export function isEmail(text: string): boolean {
  const e = text.trim();
  const at = e.indexOf('@');
  if (at <= 0 || new TextEncoder().encode(e).length > 254) return false;
  const domain = e.slice(at + 1);
  return (
    domain.includes('.') &&
    !domain.startsWith('.') &&
    !domain.endsWith('.') &&
    // Whitespace or control characters anywhere.
    !/[\s\p{Cc}]/u.test(e)
  );
}

// The reports screen's periods: a day as `YYYY-MM-DD` in this computer's time (the
// shop's), and the quick picks today, this week (from Monday) and this month.

export type QuickPick = 'today' | 'week' | 'month';

export function localDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** `[from, to]` of a quick pick, both included, as of `now`. */
export function period(pick: QuickPick, now: Date = new Date()): [string, string] {
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  if (pick === 'today') return [localDay(today), localDay(today)];
  if (pick === 'week') {
    // Weeks run from Monday, as core's report by week does.
    const back = (today.getDay() + 6) % 7;
    const monday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - back);
    return [localDay(monday), localDay(today)];
  }
  return [localDay(new Date(today.getFullYear(), today.getMonth(), 1)), localDay(today)];
}

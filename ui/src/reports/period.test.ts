import { describe, expect, it } from 'vitest';
import { localDay, period } from './period';

describe('report periods', () => {
  // Thursday 12 March 2026, late in the day.
  const now = new Date(2026, 2, 12, 23, 30);

  it('today is one local day', () => {
    expect(period('today', now)).toEqual(['2026-03-12', '2026-03-12']);
  });

  it('this week starts on Monday, and a Sunday belongs to the week before it', () => {
    expect(period('week', now)).toEqual(['2026-03-09', '2026-03-12']);
    expect(period('week', new Date(2026, 2, 15, 10))).toEqual(['2026-03-09', '2026-03-15']);
    expect(period('week', new Date(2026, 2, 9, 0, 1))).toEqual(['2026-03-09', '2026-03-09']);
  });

  it('this month starts on the first, across a year end too', () => {
    expect(period('month', now)).toEqual(['2026-03-01', '2026-03-12']);
    expect(period('month', new Date(2027, 0, 1))).toEqual(['2027-01-01', '2027-01-01']);
    expect(localDay(new Date(2026, 11, 31))).toBe('2026-12-31');
  });
});

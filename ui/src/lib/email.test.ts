import { describe, expect, it } from 'vitest';
import { isEmail } from './email';

describe('isEmail', () => {
  it('accepts what core accepts', () => {
    for (const ok of ['a@b.co', ' buyer@example.com ', 'अनु@उदाहरण.भारत', 'a.b+c@mail.example.in']) {
      expect(isEmail(ok), ok).toBe(true);
    }
  });

  it('refuses what core refuses', () => {
    for (const bad of ['', 'a@b', '@b.co', 'a@.co', 'a@b.', 'a b@c.d', 'a@b\tc.d', 'ab.co', `${'a'.repeat(250)}@b.co`, `${'क'.repeat(84)}@b.co`]) {
      expect(isEmail(bad), bad).toBe(false);
    }
  });
});

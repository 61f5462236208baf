import { describe, expect, it } from 'vitest';
import { emptyDraft, fieldOf, isSandbox, kindNeeds, toInput } from './supplierForm';

describe('the add-supplier form', () => {
  it('asks each kind for what it needs', () => {
    expect(kindNeeds('reloadly')).toMatchObject({ authUrl: true, account: null });
    expect(kindNeeds('reloadly-airtime')).toMatchObject({ authUrl: true, account: null });
    expect(kindNeeds('bamboo')).toMatchObject({ authUrl: false, account: 'bamboo' });
    expect(kindNeeds('ding')).toMatchObject({ authUrl: false, account: 'ding' });
    expect(kindNeeds('wholesale')).toMatchObject({ authUrl: false, account: null });
  });

  it('sends what the kind uses, blanks as unset, the currency upper-case', () => {
    const draft = {
      ...emptyDraft('bamboo'),
      name: ' bamboo-main ',
      url: ' https://api.bamboocardportal.com ',
      authUrl: 'https://auth.reloadly.com',
      account: ' 4471 ',
      accountCurrency: 'usd',
      key: 'id:secret',
    };
    expect(toInput(draft)).toEqual({
      name: 'bamboo-main',
      kind: 'bamboo',
      url: 'https://api.bamboocardportal.com',
      auth_url: null,
      account: '4471',
      account_currency: 'USD',
      key: 'id:secret',
    });
    expect(toInput({ ...emptyDraft('reloadly'), authUrl: ' ', key: '  ' })).toMatchObject({ auth_url: null, key: null, account: null });
  });

  it('tells a sandbox address from a live one', () => {
    expect(isSandbox('https://giftcards-sandbox.reloadly.com')).toBe(true);
    expect(isSandbox('http://127.0.0.1:8700')).toBe(true);
    expect(isSandbox('http://localhost:8700/')).toBe(true);
    expect(isSandbox('https://giftcards.reloadly.com')).toBe(false);
    expect(isSandbox('not a url')).toBe(false);
  });

  it("finds the field core's refusal names", () => {
    expect(fieldOf('url: "x": relative URL without a base')).toBe('url');
    expect(fieldOf('auth-url: a bamboo account has no token host')).toBe('authUrl');
    expect(fieldOf('account-currency: unknown currency')).toBe('accountCurrency');
    expect(fieldOf('a supplier named "main" exists already')).toBe(null);
  });
});

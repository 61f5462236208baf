// Settings → Suppliers: what each kind of supplier account asks for, the form's
// input as core takes it, and whether an address is a sandbox. Core checks every
// field again (and names the one that is wrong).

import type { SupplierAccountInput, SupplierKind } from '../lib/types';

export const SUPPLIER_KINDS: readonly SupplierKind[] = ['reloadly', 'reloadly-airtime', 'bamboo', 'ding', 'wholesale'];

export interface KindNeeds {
  /** Reloadly's token host (auth.reloadly.com). */
  authUrl: boolean;
  /** Bamboo's AccountId, or the phone number Ding sends PINs to. */
  account: 'bamboo' | 'ding' | null;
  /** The live API address, for the placeholder. */
  live: string;
  /** The supplier's sandbox address, when it has a known one. */
  sandbox: string | null;
}

export function kindNeeds(kind: SupplierKind): KindNeeds {
  switch (kind) {
    case 'reloadly':
      return { authUrl: true, account: null, live: 'https://giftcards.reloadly.com', sandbox: 'https://giftcards-sandbox.reloadly.com' };
    case 'reloadly-airtime':
      return { authUrl: true, account: null, live: 'https://topups.reloadly.com', sandbox: 'https://topups-sandbox.reloadly.com' };
    case 'bamboo':
      return { authUrl: false, account: 'bamboo', live: 'https://api.bamboocardportal.com', sandbox: null };
    case 'ding':
      return { authUrl: false, account: 'ding', live: 'https://api.dingconnect.com', sandbox: null };
    case 'wholesale':
      return { authUrl: false, account: null, live: 'https://', sandbox: null };
  }
}

export interface SupplierDraft {
  name: string;
  kind: SupplierKind;
  url: string;
  authUrl: string;
  account: string;
  accountCurrency: string;
  key: string;
}

export function emptyDraft(kind: SupplierKind = 'reloadly'): SupplierDraft {
  return { name: '', kind, url: '', authUrl: '', account: '', accountCurrency: '', key: '' };
}

/** The draft as the add command takes it: fields the kind does not use are left out. */
export function toInput(d: SupplierDraft): SupplierAccountInput {
  const needs = kindNeeds(d.kind);
  const opt = (s: string) => (s.trim() === '' ? null : s.trim());
  return {
    name: d.name.trim(),
    kind: d.kind,
    url: d.url.trim(),
    auth_url: needs.authUrl ? opt(d.authUrl) : null,
    account: needs.account ? opt(d.account) : null,
    account_currency: opt(d.accountCurrency.toUpperCase()),
    // A key is kept as typed (core trims it); blank: none.
    key: d.key.trim() === '' ? null : d.key,
  };
}

/** A supplier's sandbox, or one on this computer, rather than the live service. */
export function isSandbox(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host.includes('sandbox') || host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

/**
 * The field a core refusal names ("url: …", "auth-url: …"), as the form calls it, so
 * the form can mark it.
 */
export function fieldOf(message: string): keyof SupplierDraft | null {
  const field = /^([a-z-]+):/.exec(message)?.[1];
  const fields: Record<string, keyof SupplierDraft> = {
    name: 'name',
    kind: 'kind',
    url: 'url',
    'auth-url': 'authUrl',
    account: 'account',
    'account-currency': 'accountCurrency',
    key: 'key',
  };
  return (field && fields[field]) || null;
}

// Products as the Rust side sends them, for UI tests (the same shop as
// src-tauri/tests/fixtures/counter-demo.sql).
import type { Product } from '../lib/types';

function product(p: Partial<Product> & Pick<Product, 'sku' | 'name' | 'brand'>): Product {
  return {
    id: 1,
    category: 'gift_card',
    region: 'IN',
    face_value: { amount: '500.00', currency: 'INR' },
    wholesale: { amount: '485.00', currency: 'INR' },
    retail: { amount: '500.00', currency: 'INR' },
    in_stock: true,
    redeem_url: null,
    redeem_instructions: null,
    supplier_updated_at: '2026-03-01T09:00:00.000Z',
    discontinued: false,
    ...p,
  };
}

export const STEAM_20 = product({
  id: 1,
  sku: 'STEAM-US-20',
  name: 'Steam Wallet $20',
  brand: 'Steam',
  region: 'US',
  face_value: { amount: '20.00', currency: 'USD' },
  wholesale: { amount: '1685.00', currency: 'INR' },
  retail: { amount: '1899.00', currency: 'INR' },
});

export const STEAM_50 = product({
  id: 2,
  sku: 'STEAM-US-50',
  name: 'Steam Wallet $50',
  brand: 'Steam',
  region: 'US',
  face_value: { amount: '50.00', currency: 'USD' },
  wholesale: { amount: '4210.00', currency: 'INR' },
  retail: { amount: '4699.00', currency: 'INR' },
  in_stock: false,
});

export const JIO_239 = product({
  id: 8,
  sku: 'JIO-IN-239',
  name: 'जियो ₹239 अनलिमिटेड',
  brand: 'Jio',
  category: 'mobile_topup',
  face_value: { amount: '239.00', currency: 'INR' },
  wholesale: { amount: '232.00', currency: 'INR' },
  retail: { amount: '239.00', currency: 'INR' },
});

export const CATALOG = [STEAM_20, STEAM_50, JIO_239];

/** The shop's search, roughly: every word a case-insensitive prefix of some field. */
export function searchCatalog(query: string): Product[] {
  const words = query.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (words.length === 0) return [];
  return CATALOG.filter((p) => {
    const fields = [p.sku, p.name, p.brand, p.region].join(' ').toLowerCase().split(/[^\p{L}\p{N}]+/u);
    return words.every((w) => fields.some((f) => f.startsWith(w)));
  });
}

// What the Rust side sends (src-tauri/src/commands.rs, codetill_core::product::Product).

/** An exact decimal amount as a string ("20.00"): never parse it to a float for arithmetic. */
export type DecimalString = string;

export interface Money {
  amount: DecimalString;
  /** ISO 4217, e.g. "INR", "USD". */
  currency: string;
}

export type Category = 'gift_card' | 'game_topup' | 'mobile_topup' | 'software_key';

export interface Product {
  id: number;
  sku: string;
  name: string;
  brand: string;
  category: Category;
  /** ISO 3166 alpha-2 ("IN", "US") or a supplier word such as "GLOBAL". */
  region: string;
  face_value: Money;
  wholesale: Money;
  retail: Money;
  in_stock: boolean;
  redeem_url: string | null;
  redeem_instructions: string | null;
  supplier_updated_at: string;
  discontinued: boolean;
}

export interface LastSync {
  id: number;
  kind: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  received: number;
  inserted: number;
  updated: number;
  discontinued: number;
  skipped: number;
  error: string | null;
}

export interface AppInfo {
  version: string;
  data_dir: string;
  db_path: string;
  product_count: number;
  last_sync: LastSync | null;
}

/** The codes src-tauri/src/error.rs sends; each is also a message-catalog key. */
export type ErrorCode = 'errors.database' | 'errors.validation' | 'errors.unknown';

// The only place that talks to the Rust side: components call these, never `invoke`.

import { invoke } from '@tauri-apps/api/core';
import type { AppInfo, ErrorCode, Product } from './types';

const KNOWN_CODES: readonly ErrorCode[] = ['errors.database', 'errors.validation'];

/** A failed command: `code` picks the translated sentence, `message` is the English detail. */
export class ApiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }

  /** Whatever `invoke` rejected with: our `{ code, message }`, or anything else. */
  static from(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
      const { code, message } = e as { code: unknown; message: unknown };
      const known = KNOWN_CODES.find((c) => c === code);
      return new ApiError(known ?? 'errors.unknown', String(message));
    }
    return new ApiError('errors.unknown', e instanceof Error ? e.message : String(e));
  }
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw ApiError.from(e);
  }
}

export const api = {
  /** Products matching what was typed, best first (an exact sku leads). */
  searchProducts(query: string, limit: number): Promise<Product[]> {
    return call('search_products', { query, limit });
  },
  /** One product by its exact sku, or null. */
  product(sku: string): Promise<Product | null> {
    return call('product', { sku });
  },
  appInfo(): Promise<AppInfo> {
    return call('app_info');
  },
};

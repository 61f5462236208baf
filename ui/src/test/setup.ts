import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';

afterEach(() => {
  clearMocks();
  setLocale('en');
  localStorage.clear();
});

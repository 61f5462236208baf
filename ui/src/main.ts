import '@fontsource/noto-sans-devanagari/400.css';
import '@fontsource/noto-sans-devanagari/700.css';
import './app.css';

import { mount } from 'svelte';
import App from './App.svelte';
import { locale } from './lib/i18n/index.svelte';

document.documentElement.lang = locale();

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });

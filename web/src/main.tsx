import { render } from 'solid-js/web';
import { App } from './App.tsx';
import { captureToken } from './lib/auth.ts';
import { registerServiceWorker } from './lib/pwa.ts';
import './styles/index.css';

// Before anything renders: take `#token=` out of the address bar.
const token = captureToken();
render(() => <App token={token} />, document.getElementById('root')!);
registerServiceWorker();

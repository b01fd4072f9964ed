/**
 * Registers the service worker (web/src/sw.ts, docs/mobile.md) once the page has loaded, from any
 * build (`vite build`, whatever NODE_ENV says): under the `vite` dev server (hot reload) there is
 * none, so nothing stale is ever served there.
 */
export function registerServiceWorker(): void {
  if (import.meta.hot || !('serviceWorker' in navigator)) return;
  const register = () =>
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err: unknown) => {
      console.warn('service worker not registered', err);
    });
  if (document.readyState === 'complete') void register();
  else addEventListener('load', () => void register(), { once: true });
}

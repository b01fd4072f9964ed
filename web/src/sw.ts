/// <reference lib="webworker" />
/**
 * The dashboard's service worker (docs/mobile.md), built by vite-plugin-pwa's `injectManifest`:
 * Workbox precaches the app shell (index.html, the hashed JS/CSS, the icons and the manifest) and
 * answers every navigation with the cached index.html, so the dashboard opens offline. The API
 * (/api, /v2, /internal, /healthz) is never cached here: the feed's offline copy lives in
 * IndexedDB (web/src/lib/offline-store.ts), written by the page. Web Push: ./sw-push.ts.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { installPushHandlers } from './sw-push.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

// A new version takes over at once: the shell is all hashed files, so nothing half-old is served.
self.skipWaiting();
clientsClaim();
cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/api\//, /^\/v2\//, /^\/internal\//, /^\/healthz/],
  }),
);
installPushHandlers(self);

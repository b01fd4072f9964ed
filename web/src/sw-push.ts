/**
 * Web Push handlers of the service worker (issue #18's push half). A placeholder: the push branch
 * replaces this file with the real `push` and `notificationclick` handlers; web/src/sw.ts calls
 * `installPushHandlers(self)` either way, so the two branches merge without touching sw.ts.
 */
export function installPushHandlers(_sw: ServiceWorkerGlobalScope): void {}

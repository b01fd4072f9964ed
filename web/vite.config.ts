import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import solid from 'vite-plugin-solid';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig(({ mode }) => ({
  root: here,
  plugins: [
    solid(),
    // Installable and offline (docs/mobile.md): the web app manifest, and web/src/sw.ts compiled
    // with Workbox's precache manifest injected. Registered by web/src/lib/pwa.ts.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false,
      injectManifest: { globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'] },
      devOptions: { enabled: false },
      includeAssets: ['icons/apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: 'Quaycast',
        short_name: 'Quaycast',
        description: 'Live port-operations events: the control room on a phone, a tablet or a desk.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#0a58a8',
        theme_color: '#0a58a8',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
    }),
  ],
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // No source maps in what is deployed (`vite build`, production mode): they would publish the
    // sources. `vite build web --mode development` makes them for local debugging.
    sourcemap: mode !== 'production',
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': { target: 'http://127.0.0.1:8787', ws: true }, '/v2': { target: 'http://127.0.0.1:8787' } },
  },
}));

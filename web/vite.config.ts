import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig(({ mode }) => ({
  root: here,
  plugins: [solid()],
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

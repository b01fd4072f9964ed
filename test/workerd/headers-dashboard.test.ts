/**
 * The dashboard's own pages and assets as Workers Static Assets serves them in workerd (the
 * ASSETS binding runs the same asset worker, with `web/public/_headers`, that answers a browser):
 * a Content-Security-Policy that fits the app, framing refused, no referrer, no sniffing — on the
 * HTML, on the SPA fallback for any route, and on the scripts and styles; no source map served.
 * Needs the built dashboard (`vite build web`; `npm test` builds it first).
 */
import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE } from './helpers.ts';

const assets = (env as unknown as { ASSETS: Fetcher }).ASSETS;
const get = (path: string, init?: RequestInit) => assets.fetch(`${BASE}${path}`, init);

/** The CSP's directives, by name, each a list of its sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!.toLowerCase(), sources]),
  );
}

/** The dashboard's script and stylesheet paths, from its HTML. */
async function assetPaths(): Promise<string[]> {
  const html = await (await get('/')).text();
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

function expectHardened(res: Response, what: string): void {
  expect(res.headers.get('x-frame-options'), what).toBe('DENY');
  expect(res.headers.get('referrer-policy'), what).toBe('no-referrer');
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  const csp = directives(res.headers.get('content-security-policy') ?? '');
  expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
}

describe('dashboard > response headers', () => {
  it("sends a CSP that fits the app on its HTML: only its own scripts and styles, no inline code or eval, its own API and rooms' sockets only", async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expectHardened(res, '/');
    const csp = directives(res.headers.get('content-security-policy')!);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    // 'self' covers the API and, in CSP Level 3, the same origin's ws:/wss: rooms.
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'self'"]);
    for (const [name, sources] of csp) {
      for (const s of sources) expect(s, `${name} ${s}`).not.toMatch(/^'unsafe-|^\*$|^https?:$|^data:$|^blob:$/);
    }
  });

  it.each(['/some/deep/route', '/events/abc?x=1', '/index.html'])(
    'sends the same headers on %s (the single-page fallback)',
    async (path) => {
      const res = await get(path, { headers: { 'sec-fetch-mode': 'navigate' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expectHardened(res, path);
      expect(res.headers.get('content-security-policy')).toBe((await get('/')).headers.get('content-security-policy'));
    },
  );

  it('sends them on the scripts and styles, with their real types (nosniff)', async () => {
    const paths = await assetPaths();
    expect(paths.some((p) => p.endsWith('.js'))).toBe(true);
    expect(paths.some((p) => p.endsWith('.css'))).toBe(true);
    for (const p of paths) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toMatch(
        p.endsWith('.js') ? /^(text|application)\/javascript/ : /^text\/css/,
      );
      expectHardened(res, p);
      const body = await res.text();
      expect(body, p).not.toMatch(/sourceMappingURL/);
    }
  });

  it('serves no source map and not the _headers file itself', async () => {
    for (const p of await assetPaths()) {
      const map = await get(`${p}.map`, { headers: { 'sec-fetch-mode': 'no-cors' } });
      // Not a map: nothing there (or the HTML fallback), never JSON with the sources.
      expect(map.headers.get('content-type') ?? '', `${p}.map`).not.toMatch(/json/);
      expect(await map.text(), `${p}.map`).not.toContain('"sources"');
    }
    const file = await get('/_headers', { headers: { 'sec-fetch-mode': 'no-cors' } });
    expect(await file.text()).not.toContain('Content-Security-Policy:');
  });

  it('leaves the API to the Worker, which sends its own hardening headers', async () => {
    const res = await SELF.fetch(`${BASE}/healthz`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

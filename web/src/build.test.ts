// @vitest-environment node
/**
 * The production build as deployed (`vite build`, the same config): no source maps are
 * published, the HTML fits the Content-Security-Policy of `public/_headers` (no inline
 * script, style or event handler, nothing loaded from another origin), and the main bundle
 * carries the contract's zod-free core only (protocol/README.md).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = mkdtempSync(path.join(tmpdir(), 'quaycast-web-build-'));
let files: string[] = [];

/** Every file under `dir`, relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

beforeAll(async () => {
  await build({
    configFile: path.join(webRoot, 'vite.config.ts'),
    mode: 'production',
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
  files = walk(outDir);
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('web > production build', () => {
  it('publishes no source maps: no .map file and no sourceMappingURL comment', () => {
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const f of files) expect(readFileSync(path.join(outDir, f), 'utf8'), f).not.toMatch(/sourceMappingURL/);
  });

  it('ships the security headers file for Workers Static Assets', () => {
    const headers = readFileSync(path.join(outDir, '_headers'), 'utf8');
    expect(headers).toMatch(/^\/\*$/m);
    expect(headers).toMatch(/^ {2}Content-Security-Policy: /m);
  });

  it('has HTML the CSP allows: scripts and styles only from files of its own origin, no inline code', () => {
    const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url).toMatch(/^\/(?!\/)/);
  });

  it('keeps zod out of the main bundle: only the lazily loaded create form carries it', () => {
    // zod names its classes with strings (`$constructor("ZodError", …)`), which minifying keeps.
    const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
    const entries = [...html.matchAll(/<script\b[^>]*\bsrc="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    const preloaded = [...html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*href="\/(assets\/[^"]+\.js)"/g)].map(
      (m) => m[1]!,
    );
    const main = [...entries, ...preloaded];
    expect(main.length).toBeGreaterThan(0);
    for (const f of main) expect(readFileSync(path.join(outDir, f), 'utf8'), f).not.toContain('ZodError');
    const lazy = files.filter((f) => f.endsWith('.js') && !main.includes(f));
    expect(
      lazy.some((f) => /CreateEventForm/.test(f) && readFileSync(path.join(outDir, f), 'utf8').includes('ZodError')),
    ).toBe(true);
  });
});

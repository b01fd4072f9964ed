/**
 * The arrows of docs/architecture.md, checked: every hand-written TypeScript file of every area is
 * listed, its imports are read with TypeScript's own pre-processor (static, type-only, dynamic and
 * re-exports alike), and each relative import must land in an area the importer's area may use.
 * A file or folder added tomorrow is checked without editing this test. protocol/core.test.ts
 * checks the finer rule inside protocol/ (the core is zod-free; what the dashboard may import).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What each area may import besides itself (docs/architecture.md, "What may import what"). */
const MAY_IMPORT: Record<string, string[]> = {
  protocol: [],
  worker: ['protocol'],
  bridge: ['protocol'],
  web: ['protocol'],
  scripts: ['protocol', 'bridge', 'worker'],
  bench: ['protocol', 'bridge', 'scripts'],
  deploy: ['protocol', 'bridge', 'scripts'],
  test: ['protocol', 'worker', 'bridge', 'web', 'scripts', 'migrations', 'deploy'],
};
/**
 * Crossings allowed by name, each with its reason (docs/architecture.md says the same): the soak's
 * command is a script, its harness lives with the tests it shares support with.
 */
const ALLOWED_CROSSINGS: [from: string, to: string][] = [['scripts/soak.ts', 'test/soak/']];
/**
 * Packages only some modules may import: the rest of the code goes through them. kafkajs is behind
 * the bridge's adapter (kafka.ts; kafka-scan.ts, reading a topic back; codecs.ts, its compression codecs).
 */
const ONLY_THROUGH: Record<string, string[]> = {
  kafkajs: ['bridge/src/kafka.ts', 'bridge/src/kafka-scan.ts', 'bridge/src/codecs.ts'],
};

const SKIP = new Set(['node_modules', 'dist', '.wrangler', 'results', '__snapshots__']);
const isSource = (f: string) => /\.(ts|tsx)$/.test(f) && !f.endsWith('.d.ts');
const isTest = (f: string) => /\.test\.tsx?$/.test(f) || f.startsWith('test/');
/** Tests beside any module may reach what test/ may, and test/support/, never bench/ (unless they are bench's own). */
const TESTS_MAY_IMPORT = [...MAY_IMPORT.test!, 'test'];

function walk(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith('.')) return [];
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? walk(rel) : isSource(e.name) ? [rel] : [];
  });
}

const files = Object.keys(MAY_IMPORT).flatMap((area) => walk(area));
const areaOf = (rel: string) => rel.split(path.sep)[0]!;
const importsOf = (rel: string) =>
  ts.preProcessFile(readFileSync(path.join(ROOT, rel), 'utf8'), true, true).importedFiles.map((f) => f.fileName);

describe('architecture > what may import what', () => {
  it('finds the hand-written files of every area', () => {
    for (const area of Object.keys(MAY_IMPORT))
      expect(
        files.some((f) => areaOf(f) === area),
        area,
      ).toBe(true);
    expect(files.length).toBeGreaterThan(300);
  });

  it.each(Object.keys(MAY_IMPORT))('%s/ imports only itself and the areas it may', (area) => {
    const crossings = files
      .filter((f) => areaOf(f) === area)
      .flatMap((f) => {
        const allowed = new Set([area, ...(isTest(f) ? TESTS_MAY_IMPORT : MAY_IMPORT[area]!)]);
        return importsOf(f)
          .filter((spec) => spec.startsWith('.'))
          .map((spec) => [f, path.relative(ROOT, path.resolve(ROOT, path.dirname(f), spec))] as const)
          .filter(([, target]) => !allowed.has(areaOf(target)))
          .filter(([from, target]) => !ALLOWED_CROSSINGS.some(([f2, t2]) => from === f2 && target.startsWith(t2)))
          .map(([from, target]) => `${from} → ${target}`);
      });
    expect(crossings).toEqual([]);
  });

  it.each(Object.entries(ONLY_THROUGH))('%s is imported only by %s (and tests)', (pkg, owners) => {
    const importers = files.filter((f) => !isTest(f) && importsOf(f).some((s) => s === pkg || s.startsWith(`${pkg}/`)));
    expect(importers.sort()).toEqual([...owners].sort());
  });
});

/**
 * The rule of protocol/ (README.md there): the core — every module directly in protocol/ — is
 * zod-free, so the dashboard's main bundle and any other side can import it; zod lives in
 * protocol/schemas/ only; the dashboard imports the core, plus schemas/event.ts in its lazily
 * loaded create form. The files are found by listing the folders, and imports are read with
 * TypeScript's own pre-processor, so a module added tomorrow is checked without editing this test.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const protocolDir = path.dirname(fileURLToPath(import.meta.url));
const schemasDir = path.join(protocolDir, 'schemas');
const webSrc = path.resolve(protocolDir, '../web/src');
/** Packages the core may import, and which module may: jose signs and verifies JWTs (WebCrypto, no zod). */
const CORE_PACKAGES: Record<string, string[]> = { jose: ['jwt.ts'] };
/** The one schema module the dashboard may import, and from where (it validates the create form). */
const WEB_SCHEMA_IMPORTS: Record<string, string[]> = { 'schemas/event.ts': ['components/CreateEventForm.tsx'] };

const isSource = (f: string) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f);
const coreModules = readdirSync(protocolDir).filter(isSource);

/** Every file under `dir` (relative paths), recursively. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

/** The specifiers a file imports or re-exports: static, type-only and dynamic `import()` alike. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** Every file a module reaches through relative imports (itself included), and every package it names on the way. */
function closure(entry: string): { files: Set<string>; packages: [name: string, from: string][] } {
  const files = new Set<string>();
  const packages: [string, string][] = [];
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) todo.push(path.resolve(path.dirname(file), spec));
      else packages.push([spec, path.relative(protocolDir, file)]);
    }
  }
  return { files, packages };
}

describe('protocol > the core', () => {
  it('has the modules every side imports (the listing is not empty)', () => {
    expect(coreModules).toEqual(
      expect.arrayContaining([
        'event.ts',
        'room.ts',
        'server-message.ts',
        'workflow.ts',
        'history.ts',
        'stats.ts',
        'fixtures.ts',
      ]),
    );
  });

  it.each(coreModules)('%s reaches no zod and no schemas/ module, and only the packages allowed', (module) => {
    const { files, packages } = closure(path.join(protocolDir, module));
    expect(
      [...files].filter((f) => f.startsWith(schemasDir + path.sep)).map((f) => path.relative(protocolDir, f)),
    ).toEqual([]);
    for (const [pkg, from] of packages) {
      expect(pkg, `${from} imports ${pkg}`).not.toMatch(/zod/);
      expect(CORE_PACKAGES[pkg] ?? [], `${from} imports ${pkg}, which the core does not allow`).toContain(from);
    }
  });

  it('keeps zod in schemas/: every schema module imports it or builds on one that does', () => {
    const schemaModules = readdirSync(schemasDir).filter(isSource);
    expect(schemaModules.length).toBeGreaterThan(0);
    const zodFree = schemaModules.filter(
      (m) => !closure(path.join(schemasDir, m)).packages.some(([name]) => name === 'zod'),
    );
    // event-bounds.ts is zod-free itself but is the bound that feeds normalisation (it stays beside it).
    expect(zodFree).toEqual(['event-bounds.ts']);
  });
});

describe('protocol > who imports what', () => {
  const webFiles = walk(webSrc).filter(isSource);

  it('the dashboard imports only the core, and schemas/event.ts only in its create form', () => {
    const found: string[] = [];
    for (const f of webFiles) {
      for (const spec of importsOf(path.join(webSrc, f))) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(webSrc, path.dirname(f), spec);
        if (!target.startsWith(protocolDir + path.sep)) continue;
        const inProtocol = path.relative(protocolDir, target).split(path.sep).join('/');
        if (inProtocol.includes('/') && !(WEB_SCHEMA_IMPORTS[inProtocol] ?? []).includes(f))
          found.push(`${f} → protocol/${inProtocol}`);
      }
    }
    expect(webFiles.length).toBeGreaterThan(10);
    expect(found).toEqual([]);
  });
});

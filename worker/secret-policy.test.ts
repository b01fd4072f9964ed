import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEV_VAPID_PRIVATE_KEY,
  DEV_VARS_EXAMPLE,
  MIN_SECRET_BYTES,
  parseEnvironment,
  secretProblem,
  secretProblems,
} from './secret-policy.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** KEY=value lines of a dotenv file (comments and blanks skipped). */
function dotenv(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split('\n').flatMap((line) => {
      const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
      return m ? [[m[1]!, m[2]!.replace(/^"(.*)"$/, '$1')]] : [];
    }),
  );
}

describe('worker > secret policy', () => {
  it('knows exactly the values of .dev.vars.example', () => {
    expect(dotenv(readFileSync(path.join(ROOT, '.dev.vars.example'), 'utf8'))).toEqual({
      ...DEV_VARS_EXAMPLE,
      VAPID_PRIVATE_KEY: DEV_VAPID_PRIVATE_KEY,
    });
  });

  it('refuses a missing, short or published secret, naming the variable and never the value', () => {
    expect(secretProblem('JWT_SECRET', undefined)).toBe('JWT_SECRET is not set');
    expect(secretProblem('JWT_SECRET', '')).toBe('JWT_SECRET is not set');
    expect(secretProblem('INGEST_TOKEN', 'x'.repeat(MIN_SECRET_BYTES - 1))).toBe(
      'INGEST_TOKEN is 31 bytes long; at least 32 are required',
    );
    for (const [name, value] of Object.entries(DEV_VARS_EXAMPLE) as [keyof typeof DEV_VARS_EXAMPLE, string][]) {
      const problem = secretProblem(name, value);
      expect(problem).toBe(`${name} is a published development value (from .dev.vars.example)`);
      expect(problem).not.toContain(value);
    }
    // Another variable's dev value is as public as its own.
    expect(secretProblem('JWT_SECRET', DEV_VARS_EXAMPLE.INGEST_TOKEN)).toContain('published development value');
  });

  it('counts bytes, not characters (multi-byte characters count for what they are)', () => {
    expect(secretProblem('JWT_SECRET', 'é'.repeat(16))).toBeUndefined(); // 32 bytes
    expect(secretProblem('JWT_SECRET', `${'é'.repeat(15)}a`)).toContain('31 bytes');
  });

  it('accepts a long random secret, and an unset *_PREVIOUS (only a set one is judged)', () => {
    expect(secretProblem('JWT_SECRET', 'k'.repeat(32))).toBeUndefined();
    expect(secretProblem('JWT_SECRET_PREVIOUS', undefined)).toBeUndefined();
    expect(secretProblem('INGEST_TOKEN_PREVIOUS', 'short')).toContain('INGEST_TOKEN_PREVIOUS is 5 bytes');
    expect(secretProblems({ JWT_SECRET: 'k'.repeat(40), INGEST_TOKEN: DEV_VARS_EXAMPLE.INGEST_TOKEN })).toEqual([
      'INGEST_TOKEN is a published development value (from .dev.vars.example)',
    ]);
  });

  it('reads ENVIRONMENT fail-closed: only development and staging are themselves, anything else is production', () => {
    expect(parseEnvironment('development')).toBe('development');
    expect(parseEnvironment(' staging ')).toBe('staging');
    for (const raw of [undefined, '', 'production', 'Development', 'dev', 'local', 'test'])
      expect(parseEnvironment(raw)).toBe('production');
  });
});

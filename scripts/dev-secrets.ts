/** Reads the local development secrets from .dev.vars (created from .dev.vars.example). */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/paths.ts';

export function devSecrets(): { JWT_SECRET: string; INGEST_TOKEN: string } {
  const file = path.join(ROOT, '.dev.vars');
  if (!existsSync(file)) copyFileSync(path.join(ROOT, '.dev.vars.example'), file);
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  if (!vars.JWT_SECRET || !vars.INGEST_TOKEN) throw new Error('.dev.vars must set JWT_SECRET and INGEST_TOKEN');
  return { JWT_SECRET: vars.JWT_SECRET, INGEST_TOKEN: vars.INGEST_TOKEN };
}

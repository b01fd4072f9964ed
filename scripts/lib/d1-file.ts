/** The local D1 database file under a Miniflare persist folder (the largest one, if several). */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function d1File(persist: string): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.includes('D1DatabaseObject') && e.name.endsWith('.sqlite') && e.name !== 'metadata.sqlite')
        found.push(p);
    }
  };
  walk(persist);
  const file = found.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!file) throw new Error(`no D1 file under ${persist}`);
  return file;
}

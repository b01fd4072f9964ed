import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyJwt } from '../protocol/jwt.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'token-script-test-secret-of-32-bytes';

/** Runs scripts/token.ts with a secret from the environment (no .dev.vars is read or written). */
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/token.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, JWT_SECRET: SECRET },
  });
  return { status: r.status, stderr: r.stderr, token: r.stdout.trim().split('\n').at(-1) ?? '' };
}

describe('scripts > token', () => {
  it('mints a token the Worker accepts, 12 h by default, with iat and exp', async () => {
    const { status, token } = run('operator', 'alice');
    expect(status).toBe(0);
    const result = await verifyJwt(token, SECRET);
    expect(result).toMatchObject({ ok: true, claims: { sub: 'alice', role: 'operator', name: 'alice' } });
    if (result.ok) expect(result.claims.exp - result.claims.iat!).toBe(12 * 3600);
  });

  it('mints a scoped token with --categories (any case, de-duplicated, canonical order)', async () => {
    const { status, token } = run('viewer', 'customs', '--categories', 'ship,Container,Ship', '--hours', '2');
    expect(status).toBe(0);
    const result = await verifyJwt(token, SECRET);
    expect(result).toMatchObject({ ok: true, claims: { sub: 'customs', categories: ['Container', 'Ship'] } });
    if (result.ok) expect(result.claims.exp - result.claims.iat!).toBe(7200);
  });

  it.each([
    [['root'], 'unknown role "root"'],
    [[], 'name a role'],
    [['viewer', '--categories', 'Container,Secret'], 'unknown: Secret'],
    [['viewer', '--categories', ''], '--categories takes a comma-separated list'],
    [['viewer', '--hours', '25'], '--hours may be at most 24'],
    [['viewer', '--hours', '-1'], '--hours must be a positive number'],
    [['viewer', '--forever'], 'unknown option --forever'],
  ])('refuses %j with a clear message and exit 2', (args, message) => {
    const { status, stderr } = run(...args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('usage: npm run token');
  });
});

/**
 * `npm run token -- <role> [sub] [--hours N] [--categories Container,Ship]`: prints a JWT signed
 * with the local dev secret (.dev.vars, or JWT_SECRET from the environment) as its last line.
 * `--hours` (default 12) may not exceed the Worker's maximum lifetime (JWT_MAX_LIFETIME_S,
 * default 24 h); `--categories` scopes the token to those rooms (docs/security.md).
 */
import { CATEGORIES, parseCategory, type Category } from '../protocol/enums.ts';
import { DEFAULT_MAX_LIFETIME_SECONDS, signJwt } from '../protocol/jwt.ts';
import { ROLES, isRole } from '../protocol/roles.ts';
import { devSecrets } from './dev-secrets.ts';

const USAGE = `usage: npm run token -- <${ROLES.join('|')}> [sub] [--hours N] [--categories ${CATEGORIES.join(',')}]`;

function fail(message: string): never {
  console.error(message);
  console.error(USAGE);
  process.exit(2);
}

const args = process.argv.slice(2);
const role = args[0];
if (!isRole(role)) fail(role === undefined ? 'name a role' : `unknown role "${role}"`);

let sub = `local-${role}`;
let hours = 12;
let categories: Category[] | undefined;
const maxHours = Number(process.env.JWT_MAX_LIFETIME_S ?? DEFAULT_MAX_LIFETIME_SECONDS) / 3600;
for (let i = 1; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === '--hours') {
    hours = Number(args[++i]);
    if (!Number.isFinite(hours) || hours <= 0) fail('--hours must be a positive number');
    if (hours > maxHours)
      fail(`--hours may be at most ${maxHours} (the Worker refuses longer-lived tokens: JWT_MAX_LIFETIME_S)`);
  } else if (arg === '--categories') {
    const list = (args[++i] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const parsed = list.map((c) => parseCategory(c));
    const bad = list.filter((_, j) => parsed[j] === undefined);
    if (list.length === 0 || bad.length > 0)
      fail(
        `--categories takes a comma-separated list of ${CATEGORIES.join(', ')}${bad.length ? `; unknown: ${bad.join(', ')}` : ''}`,
      );
    categories = CATEGORIES.filter((c) => parsed.includes(c));
  } else if (arg.startsWith('--')) {
    fail(`unknown option ${arg}`);
  } else if (i === 1) {
    sub = arg;
  } else {
    fail(`unexpected argument "${arg}"`);
  }
}

const secret = process.env.JWT_SECRET ?? devSecrets().JWT_SECRET;
const now = Math.floor(Date.now() / 1000);
console.error(
  `role=${role} sub=${sub} expires in ${hours} h${categories ? ` categories=${categories.join(',')}` : ''}`,
);
console.log(
  await signJwt(
    { sub, name: sub, role, iat: now, exp: now + Math.round(hours * 3600), ...(categories ? { categories } : {}) },
    secret,
  ),
);

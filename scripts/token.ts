/**
 * `npm run token -- <role> [sub] [--hours N]`: prints a JWT signed with the local dev secret
 * (.dev.vars, or JWT_SECRET from the environment) as its last line.
 */
import { signJwt } from '../protocol/jwt.ts';
import { ROLES, isRole } from '../protocol/roles.ts';
import { devSecrets } from './dev-secrets.ts';

const args = process.argv.slice(2);
const role = args[0];
if (!isRole(role)) {
  console.error(`usage: npm run token -- <${ROLES.join('|')}> [sub] [--hours N]`);
  process.exit(2);
}
const hoursAt = args.indexOf('--hours');
const hours = hoursAt >= 0 ? Number(args[hoursAt + 1]) : 12;
if (!Number.isFinite(hours) || hours <= 0) {
  console.error('--hours must be a positive number');
  process.exit(2);
}
const sub = args[1] && !args[1].startsWith('--') ? args[1] : `local-${role}`;
const secret = process.env.JWT_SECRET ?? devSecrets().JWT_SECRET;
const now = Math.floor(Date.now() / 1000);
console.error(`role=${role} sub=${sub} expires in ${hours} h`);
console.log(await signJwt({ sub, name: sub, role, iat: now, exp: now + Math.round(hours * 3600) }, secret));

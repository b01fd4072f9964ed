import { describe, expect, it } from 'vitest';
import { ROLES, isRole, roleAtLeast, type Role } from './roles.ts';

describe('protocol > isRole', () => {
  it.each(ROLES)('accepts %s', (role) => {
    expect(isRole(role)).toBe(true);
  });

  it.each([['Admin'], ['root'], [''], [' viewer'], [null], [undefined], [1], [['admin']]])('rejects %j', (value) => {
    expect(isRole(value)).toBe(false);
  });
});

describe('protocol > roleAtLeast', () => {
  // Rows: the caller's role; columns: the role needed (viewer, producer, operator, admin).
  const matrix: Record<Role, [boolean, boolean, boolean, boolean]> = {
    viewer: [true, false, false, false],
    producer: [true, true, false, false],
    operator: [true, true, true, false],
    admin: [true, true, true, true],
  };
  const cases = ROLES.flatMap((role) => ROLES.map((needed, i) => [role, needed, matrix[role][i]!] as const));

  it.each(cases)('%s has the rights of %s: %s', (role, needed, expected) => {
    expect(roleAtLeast(role, needed)).toBe(expected);
  });
});

/**
 * Scoped tokens: the `categories` claim narrows what a token may see (customs sees only
 * Container; a shipping line's screen only its rooms). Absent, the token sees every category
 * its role allows — today every role reads every category. The Worker enforces it on every
 * path; the dashboard uses the same answer to show only the rooms it may open.
 */
import { CATEGORIES, type Category } from './enums.ts';

/** The part of the claims a scope is made of. */
export type Scoped = { categories?: readonly Category[] | undefined };

/** The categories these claims may see, in the canonical order. */
export function allowedCategories(claims: Scoped): readonly Category[] {
  if (!claims.categories) return CATEGORIES;
  const set = new Set<string>(claims.categories);
  return CATEGORIES.filter((c) => set.has(c));
}

/** True when the claims may see events of `category`. */
export function mayView(claims: Scoped, category: Category): boolean {
  return !claims.categories || claims.categories.includes(category);
}

/** True when the claims see every category (no scope, or a scope naming them all). */
export function seesEverything(claims: Scoped): boolean {
  return allowedCategories(claims).length === CATEGORIES.length;
}

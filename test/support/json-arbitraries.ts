/**
 * JSON for property tests of the shape bounds (protocol/json-shape.ts, protocol/schemas/event-bounds.ts):
 * fast-check generates `__proto__` keys on purpose, which the bounds refuse by name; the properties
 * that are about depth, width and size take JSON without them (that key has its own tests).
 */
import fc from 'fast-check';

/** True when a JSON value holds a `__proto__` key at any depth (iterative: any depth is safe). */
export function hasProtoKey(v: unknown): boolean {
  const stack = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    if (!Array.isArray(x) && Object.hasOwn(x, '__proto__')) return true;
    stack.push(...Object.values(x));
  }
  return false;
}

/**
 * Any JSON value without a `__proto__` key anywhere. Seeds -1005806973 and 1095404544
 * (json-shape) and -262614471 (event-bounds) failed on that key before this filter.
 */
export const plainJson = (maxDepth?: number) =>
  fc.jsonValue(maxDepth === undefined ? {} : { maxDepth }).filter((v) => !hasProtoKey(v));

/**
 * Shape bounds for free-form JSON (a payload's `eventData`, `metadata`, unknown properties):
 * depth, entries per object or array, string size and total size, measured by an
 * iterative walk with an explicit stack. Nothing here recurses, so a value nested 100,000
 * levels deep costs one pass and a clear answer instead of a `RangeError` in whatever recursive
 * walk (zod, `JSON.stringify`, structured clone, spread) would have met it first.
 *
 * The walk also returns a cleaned copy, so every later step sees plain, well-formed data:
 *   - lone UTF-16 surrogates in strings become U+FFFD (SQLite turns them into bytes that are
 *     not UTF-8, so a D1 column would no longer equal the JSON document it came from);
 *   - objects are rebuilt with own data properties only, and a `__proto__` key is refused
 *     (zod's records and `obj[key] = value` would drop it or set a prototype: a silent loss);
 *   - numbers that are not finite (`1e400` parses as Infinity) are refused: JSON.stringify
 *     would store them as null.
 * Part of the zod-free core: protocol/schemas/event-bounds.ts builds the payload bounds on it, and
 * protocol/reason.ts its one-line reasons.
 */

/** Bounds of one walk. Depth counts the walked value itself as level 1 (`{}` is 1, `{"a":[]}` is 2). */
export type ShapeBounds = {
  maxDepth: number;
  /** Keys of one object, elements of one array. */
  maxEntries: number;
  /** UTF-8 bytes of one string (keys included). */
  maxStringBytes: number;
};

/**
 * Bytes a walk may still spend, decremented in place. A value costs the JSON text it would
 * serialize to without escapes: a lower bound of `JSON.stringify`'s size, exact for text that
 * needs no escaping, so a bound on it never refuses what the serialized limit would accept.
 */
export type ShapeBudget = { bytes: number };

export type ShapeIssueKind = 'depth' | 'entries' | 'string' | 'bytes' | 'number' | 'key' | 'type';

/** Where the walk stopped and why. `path` is relative to the walked value ([] = the value itself). */
export type ShapeIssue = { kind: ShapeIssueKind; path: (string | number)[]; message: string };

export type ShapeResult = { ok: true; value: unknown; bytes: number } | { ok: false; issue: ShapeIssue };

/** UTF-8 length of `s`, and `s` with lone surrogates replaced by U+FFFD (the same string when there are none). */
export function wellFormed(s: string): { text: string; utf8Bytes: number; repaired: boolean } {
  let bytes = 0;
  let out: string[] | undefined;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else {
      bytes += 3;
      if (c >= 0xd800 && c <= 0xdfff) {
        out ??= [];
        out.push(s.slice(from, i), '\ufffd');
        from = i + 1;
      }
    }
  }
  if (!out) return { text: s, utf8Bytes: bytes, repaired: false };
  out.push(s.slice(from));
  return { text: out.join(''), utf8Bytes: bytes, repaired: true };
}

/** True when `s` has no lone surrogate. */
export function isWellFormed(s: string): boolean {
  return !wellFormed(s).repaired;
}

/** Sets an own, enumerable data property, even for the key `__proto__` (plain assignment would set the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

type Frame = {
  /** The copy being filled. */
  into: unknown[] | Record<string, unknown>;
  source: unknown[] | Record<string, unknown>;
  keys: string[] | undefined;
  next: number;
};

/**
 * Walks `value` (JSON as `JSON.parse` gives it) without recursion and returns a cleaned copy,
 * or the first bound it breaks. `budget` is decremented in place, so one budget can span
 * several fields of one payload. Never throws.
 */
export function boundJson(value: unknown, bounds: ShapeBounds, budget: ShapeBudget = { bytes: Infinity }): ShapeResult {
  const startBytes = budget.bytes;
  let spent = 0;
  const path: (string | number)[] = [];
  const stack: Frame[] = [];
  const fail = (kind: ShapeIssueKind, message: string, at: (string | number)[] = path): ShapeResult => ({
    ok: false,
    issue: { kind, path: [...at], message },
  });
  const spend = (bytes: number): ShapeResult | undefined => {
    budget.bytes -= bytes;
    spent += bytes;
    if (budget.bytes < 0) return fail('bytes', `is larger than ${startBytes} bytes`, []);
    return undefined;
  };

  let root: unknown;
  // `current` is the value to place next; after placing a leaf, the loop pops frames until one has entries left.
  let current: unknown = value;
  let placeKey: string | number | undefined;
  for (;;) {
    let placed: unknown;
    let frame: Frame | undefined;
    if (current === null) {
      placed = null;
      const over = spend(4);
      if (over) return over;
    } else if (typeof current === 'string') {
      const s = wellFormed(current);
      if (s.utf8Bytes > bounds.maxStringBytes)
        return fail('string', `has a string longer than ${bounds.maxStringBytes} bytes`);
      const over = spend(s.utf8Bytes + 2);
      if (over) return over;
      placed = s.text;
    } else if (typeof current === 'number') {
      if (!Number.isFinite(current)) return fail('number', 'has a number out of range (not finite)');
      const over = spend(String(current).length);
      if (over) return over;
      placed = current;
    } else if (typeof current === 'boolean') {
      const over = spend(current ? 4 : 5);
      if (over) return over;
      placed = current;
    } else if (typeof current === 'object') {
      // Depth is reported at the walked value itself: "eventData: nested deeper than 32 levels".
      if (stack.length + 1 > bounds.maxDepth) return fail('depth', `nested deeper than ${bounds.maxDepth} levels`, []);
      if (Array.isArray(current)) {
        if (current.length > bounds.maxEntries) return fail('entries', `has more than ${bounds.maxEntries} elements`);
        const over = spend(2 + Math.max(0, current.length - 1));
        if (over) return over;
        placed = [];
        frame = { into: placed as unknown[], source: current, keys: undefined, next: 0 };
      } else {
        const proto = Object.getPrototypeOf(current) as unknown;
        if (proto !== Object.prototype && proto !== null) return fail('type', 'is not a JSON value');
        const keys = Object.keys(current);
        if (keys.length > bounds.maxEntries) return fail('entries', `has more than ${bounds.maxEntries} keys`);
        const over = spend(2 + Math.max(0, keys.length - 1));
        if (over) return over;
        placed = {};
        frame = { into: placed as Record<string, unknown>, source: current as Record<string, unknown>, keys, next: 0 };
      }
    } else {
      return fail('type', 'is not a JSON value');
    }

    const parent = stack[stack.length - 1];
    if (!parent) root = placed;
    else if (Array.isArray(parent.into)) parent.into.push(placed);
    else setOwn(parent.into, placeKey as string, placed);

    if (frame) stack.push(frame);
    else if (stack.length > 0) path.pop();

    // Find the next value to place: the next entry of the innermost frame that has one left.
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) return { ok: true, value: root, bytes: spent };
      const count = top.keys ? top.keys.length : (top.source as unknown[]).length;
      if (top.next < count) {
        const index = top.next++;
        if (top.keys) {
          const key = top.keys[index]!;
          path.push(key);
          if (key === '__proto__') return fail('key', 'has the key "__proto__", which is not allowed');
          const k = wellFormed(key);
          if (k.repaired) return fail('key', 'has a key that is not well-formed Unicode (a lone surrogate)');
          if (k.utf8Bytes > bounds.maxStringBytes)
            return fail('string', `has a key longer than ${bounds.maxStringBytes} bytes`);
          const over = spend(k.utf8Bytes + 3);
          if (over) return over;
          placeKey = key;
          current = (top.source as Record<string, unknown>)[key];
          // As JSON.stringify does: an undefined property is absent (JS callers; JSON.parse makes none).
          if (current === undefined) {
            path.pop();
            continue;
          }
        } else {
          path.push(index);
          placeKey = index;
          current = (top.source as unknown[])[index] ?? null; // undefined and holes are null in JSON
        }
        break;
      }
      stack.pop();
      if (stack.length > 0) path.pop();
    }
  }
}

const PLAIN_SEGMENT = /^[A-Za-z0-9_$-]{1,64}$/;
const MAX_SHOWN_SEGMENTS = 6;

/**
 * A path as the API reports it (`eventData.items.3`): plain keys bare, others JSON-quoted and cut
 * to 64 characters, at most 6 segments (then `…`), so a hostile key never makes a long or
 * unprintable reason.
 */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  const shown = path.slice(0, MAX_SHOWN_SEGMENTS).map((p) => {
    const s = String(p);
    if (PLAIN_SEGMENT.test(s)) return s;
    const cut = s.length > 64 ? `${s.slice(0, 64)}…` : s;
    return JSON.stringify(wellFormed(cut).text);
  });
  return path.length > MAX_SHOWN_SEGMENTS ? `${shown.join('.')}.…` : shown.join('.');
}

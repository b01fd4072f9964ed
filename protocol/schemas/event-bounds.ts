/**
 * The shape bounds of one event payload, checked before anything walks it recursively (zod,
 * `JSON.stringify`, the Durable Object RPC's structured clone). The numbers are far above what
 * a real producer sends and far below what could hurt: docs/limits.md lists them.
 */
import type { FieldIssue } from '../event.ts';
import { boundJson, formatPath, isWellFormed, setOwn, type ShapeBounds, type ShapeIssue } from '../json-shape.ts';

/** Serialized size bound of `eventData` and `metadata` (UTF-8 bytes), and of the unknown properties together. */
export const MAX_JSON_FIELD_BYTES = 16 * 1024;
/** Levels of `eventData` and `metadata` (the field's own object is level 1). */
export const MAX_NESTING_DEPTH = 32;
/**
 * Levels of an unknown top-level property: it is kept at `metadata.extra.<name>`, two levels
 * inside `metadata`, so that `metadata` as stored keeps within MAX_NESTING_DEPTH.
 */
export const MAX_EXTRA_NESTING_DEPTH = MAX_NESTING_DEPTH - 2;
/** Keys of one object or elements of one array, anywhere in a payload (the payload's own properties too). */
export const MAX_CONTAINER_ENTRIES = 1000;
/** UTF-8 bytes of any one string or key in a payload (longer text fields have lower bounds of their own). */
export const MAX_STRING_BYTES = MAX_JSON_FIELD_BYTES;
/** The whole payload, measured as JSON without escapes: twice the largest event the field bounds allow. */
export const MAX_EVENT_BYTES = 128 * 1024;
/** Issues reported for one payload; the rest are counted in one more. */
export const MAX_ISSUES_PER_EVENT = 20;

/** The properties within bounds (cleaned), and an issue for each one that is not (then left out of `payload`). */
export type BoundedPayload = { payload: Record<string, unknown>; issues: FieldIssue[] };

/**
 * Checks every property of a payload against its bounds and returns a cleaned copy of those
 * within them (see json-shape.ts: well-formed strings, own properties only), so the caller can
 * still validate the rest and report every bad field at once. `fieldOf` maps a property name as
 * sent to the canonical field it stands for (undefined: unknown, kept in `metadata.extra`).
 * Issues name the canonical field (`eventData: nested deeper than 32 levels`), or the property as
 * sent when it is unknown; a `(root)` issue means the payload as a whole is out of bounds.
 * Never throws.
 */
export function boundPayload(
  raw: Record<string, unknown>,
  fieldOf: (key: string) => string | undefined,
): BoundedPayload {
  const keys = Object.keys(raw);
  if (keys.length > MAX_CONTAINER_ENTRIES) {
    return { payload: {}, issues: [{ path: '(root)', message: `has more than ${MAX_CONTAINER_ENTRIES} properties` }] };
  }
  const issues: FieldIssue[] = [];
  const payload: Record<string, unknown> = {};
  let totalBytes = 2 + Math.max(0, keys.length - 1);
  const extraBudget = { bytes: MAX_JSON_FIELD_BYTES };
  for (const key of keys) {
    if (key === '__proto__' || !isWellFormed(key)) {
      issues.push({
        path: formatPath([key]),
        message:
          key === '__proto__'
            ? 'is not an allowed property name'
            : 'is not a well-formed Unicode property name (a lone surrogate)',
      });
      continue;
    }
    const field = fieldOf(key);
    const value = raw[key];
    if (value === undefined) continue; // absent, as in JSON (JS callers only)
    const name = field ?? key;
    // An id is the idempotency key: repairing it would make two different ids one.
    if (field === 'id' && typeof value === 'string' && !isWellFormed(value)) {
      issues.push({ path: name, message: 'must be well-formed Unicode (it has a lone UTF-16 surrogate)' });
      continue;
    }
    const freeForm = field === 'eventData' || field === 'metadata';
    const bounds: ShapeBounds = {
      maxDepth: field ? MAX_NESTING_DEPTH : MAX_EXTRA_NESTING_DEPTH,
      maxEntries: MAX_CONTAINER_ENTRIES,
      maxStringBytes: MAX_STRING_BYTES,
    };
    const budget = field === undefined ? extraBudget : { bytes: freeForm ? MAX_JSON_FIELD_BYTES : MAX_EVENT_BYTES };
    const result = boundJson(value, bounds, budget);
    if (!result.ok) {
      issues.push(issueOf(name, result.issue, field === undefined ? 'extra' : freeForm ? 'field' : 'other'));
      continue;
    }
    totalBytes += result.bytes + key.length + 3;
    if (totalBytes > MAX_EVENT_BYTES) {
      issues.push({ path: '(root)', message: `the event must be at most ${MAX_EVENT_BYTES} bytes serialized` });
      break;
    }
    setOwn(payload, key, result.value);
  }
  return { payload, issues };
}

function issueOf(name: string, issue: ShapeIssue, role: 'field' | 'extra' | 'other'): FieldIssue {
  // In a free-form field one string over the bound is the field over its size: say that, at the field.
  if (issue.kind === 'bytes' || (issue.kind === 'string' && role !== 'other')) {
    const message =
      role === 'field'
        ? `must be at most ${MAX_JSON_FIELD_BYTES} bytes serialized`
        : role === 'extra'
          ? `with the other unknown properties (kept in metadata.extra) must be at most ${MAX_JSON_FIELD_BYTES} bytes serialized`
          : `must be at most ${MAX_EVENT_BYTES} bytes serialized`;
    return { path: formatPath([name]), message };
  }
  return { path: formatPath([name, ...issue.path]), message: issue.message };
}

/** At most MAX_ISSUES_PER_EVENT issues, the last one counting the rest. */
export function capIssues(issues: FieldIssue[]): FieldIssue[] {
  if (issues.length <= MAX_ISSUES_PER_EVENT) return issues;
  const shown = issues.slice(0, MAX_ISSUES_PER_EVENT - 1);
  shown.push({ path: '(root)', message: `and ${issues.length - shown.length} more issues` });
  return shown;
}

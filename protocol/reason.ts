/**
 * Reasons as operators read them: one safe line for a DLQ header (`x-error`), an ingest answer,
 * a log field or a pipeline reason. Whatever a hostile payload or a remote error put in the
 * text, what comes out is well-formed, has no control character and is bounded.
 */
import type { FieldIssue } from './event.ts';
import { wellFormed } from './json-shape.ts';

/** Longest reason `describeIssues` and `oneLine` return (it travels in a Kafka header and a log line). */
export const MAX_REASON_CHARS = 1000;

/**
 * Human-readable one-line reason, for DLQ headers and ingest answers: control characters
 * escaped (no terminal escape sequence reaches an operator's screen), at most MAX_REASON_CHARS.
 */
export function describeIssues(issues: FieldIssue[]): string {
  return oneLine(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
}

/** `text` as one safe line: well-formed, control characters as `\uXXXX`, cut to MAX_REASON_CHARS. */
export function oneLine(text: string): string {
  const head = text.length > MAX_REASON_CHARS ? text.slice(0, MAX_REASON_CHARS) : text; // bounded work for huge texts
  const safe = head.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (safe.length <= MAX_REASON_CHARS && head.length === text.length) return wellFormed(safe).text;
  let cut = safe.slice(0, MAX_REASON_CHARS - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${wellFormed(cut).text}…`;
}

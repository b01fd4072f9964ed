/**
 * What the bridge accepts from the Worker, which it does not trust: every answer body is read
 * with a byte bound (a huge or endless body costs at most that much memory) and validated
 * against the shape the bridge needs (zod) before anything of it is used. The callers turn a
 * failure here into a retriable error.
 */
import { z } from 'zod';
import { type ClaimedReplay, MAX_REASON, MAX_REPLAY_ID, type Settlement } from '../../protocol/dead-letters.ts';
import type { IngestResult } from '../../protocol/ingest.ts';
import { ClaimAnswerSchema, ClaimedReplaySchema } from '../../protocol/schemas/dead-letters.ts';
import { IngestResponseSchema } from '../../protocol/schemas/ingest.ts';

/** The answer was not what the contract says: too large, not JSON, or of the wrong shape. */
export class UnexpectedAnswerError extends Error {
  override name = 'UnexpectedAnswerError';
  /** Worth asking again: the next answer may be right (a proxy's page, a Worker mid-deploy). */
  readonly retriable = true;
}

/** Most bytes of an ingest answer: a result is ≤ ~4 KiB (a 1,000-character reason, a 200-character id), so this is far above any honest one. */
export function maxIngestAnswerBytes(records: number): number {
  return 64 * 1024 + records * 8 * 1024;
}

/** Most bytes of an error body read for its message (the rest is not needed). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * The body as text, or UnexpectedAnswerError once it passes `maxBytes` (announced by
 * Content-Length or seen while streaming); the rest is cancelled, never buffered.
 */
export async function readBoundedText(res: Response, maxBytes: number): Promise<string> {
  const announced = Number(res.headers.get('content-length'));
  if (Number.isFinite(announced) && announced > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new UnexpectedAnswerError(`answer of ${announced} bytes is over the ${maxBytes}-byte bound`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new UnexpectedAnswerError(`answer is over the ${maxBytes}-byte bound`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** JSON.parse that says what it failed on as an UnexpectedAnswerError. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UnexpectedAnswerError(
      `answer is not JSON (${text.length} characters, starting ${JSON.stringify(text.slice(0, 40))})`,
    );
  }
}

/** The first issue of a zod failure, one short line (path and message). */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}`.slice(0, 200) : 'invalid';
}

/** An ingest answer's text as exactly one valid result per record, in order; UnexpectedAnswerError otherwise. */
export function parseIngestAnswer(text: string, records: number): IngestResult[] {
  const parsed = IngestResponseSchema.safeParse(parseJson(text));
  if (!parsed.success)
    throw new UnexpectedAnswerError(`answer is not one result per record (${firstIssue(parsed.error)})`);
  const { results } = parsed.data;
  if (results.length !== records)
    throw new UnexpectedAnswerError(`answer has ${results.length} results for ${records} records`);
  return results;
}

/** One pending outbox row, as far as the bridge checks it before publishing (its topic is checked by the relay). */
const OutboxRowSchema = z.object({
  id: z.string().min(1).max(200),
  topic: z.string(),
  createdAt: z.number(),
  event: z.record(z.string(), z.unknown()),
});
export type OutboxRow = z.infer<typeof OutboxRowSchema>;

/** Most bytes of an outbox page: 200 events of at most ~45 KiB each (docs/limits.md), with room to spare. */
export const MAX_OUTBOX_PAGE_BYTES = 32 * 1024 * 1024;

/** A row the relay cannot use: its id (when it has a usable one, to acknowledge it) and why. */
export type MalformedOutboxRow = { id: string | undefined; problem: string };

/**
 * An outbox page's text: `{ data: [...] }`, split into rows of the right shape and rows that are
 * not (each with its id when that is a usable string). UnexpectedAnswerError when the page itself
 * is not JSON or has no data array.
 */
export function parseOutboxPage(text: string): {
  rows: OutboxRow[];
  malformed: MalformedOutboxRow[];
  /** Dead-letter replay requests due now (0 from a Worker older than them). */
  replays: number;
} {
  const page = z
    .object({ data: z.array(z.unknown()), replays: z.number().int().nonnegative().optional().catch(undefined) })
    .safeParse(parseJson(text));
  if (!page.success) throw new UnexpectedAnswerError(`outbox answer has no data array (${firstIssue(page.error)})`);
  const rows: OutboxRow[] = [];
  const malformed: MalformedOutboxRow[] = [];
  for (const item of page.data.data) {
    const row = OutboxRowSchema.safeParse(item);
    if (row.success) {
      rows.push(row.data);
      continue;
    }
    const id = (item as { id?: unknown } | null)?.id;
    malformed.push({
      id: typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined,
      problem: firstIssue(row.error),
    });
  }
  return { rows, malformed, replays: page.data.replays ?? 0 };
}

/**
 * A replay claim's answer (POST /internal/dead-letters/replays/claim), judged request by
 * request, like an outbox page: a request that is not valid is never produced; when it carries a
 * usable id it is settled failed with the reason, so the page shows why. An answer that is not
 * `{ replays: [...] }` at all is an UnexpectedAnswerError (the pass runs again at the next wake).
 */
export function parseClaimAnswer(text: string): { claimed: ClaimedReplay[]; malformed: Settlement[] } {
  const whole = ClaimAnswerSchema.safeParse(parseJson(text));
  if (!whole.success)
    throw new UnexpectedAnswerError(
      `replay claim answer is not { replays: [...] } within bounds (${firstIssue(whole.error)})`,
    );
  const claimed: ClaimedReplay[] = [];
  const malformed: Settlement[] = [];
  for (const item of whole.data.replays) {
    const parsed = ClaimedReplaySchema.safeParse(item);
    if (parsed.success) {
      claimed.push(parsed.data);
      continue;
    }
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && id.length > 0 && id.length <= MAX_REPLAY_ID)
      malformed.push({
        id,
        outcome: 'failed',
        reason: `the Worker's claim answer for this request is not valid (${firstIssue(parsed.error)})`.slice(
          0,
          MAX_REASON,
        ),
      });
  }
  return { claimed, malformed };
}

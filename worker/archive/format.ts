/**
 * The archive's objects in R2 (docs/archive.md, "Layout"): NDJSON compressed with gzip, one
 * change a line, in seq order, immutable once written. gzip through the runtime's own
 * CompressionStream (workerd, Node and browsers have it; `zcat`, `gunzip -c`, DuckDB's
 * read_json and pandas read it), so no library is needed on either side.
 *
 *   events/<Category>/<yyyy>/<mm>/<dd>/<from>-<to>.ndjson.gz   the changes with from < seq <= to
 *   manifest/<Category>.json                                 the committed objects of a room
 *
 * `<yyyy>/<mm>/<dd>` is the UTC day of the range's oldest change (`updatedAt`); `<from>` and `<to>`
 * are 12-digit zero-padded seqs, so listing a day's folder gives the objects in seq order.
 */
import type { Category } from '../../protocol/enums.ts';
import { isTombstone, type Change } from '../../protocol/event.ts';
import type { HistoryEntry } from '../../protocol/history.ts';

/** A line of an archive object: the change as the room's changefeed gives it, and the event's workflow history when it has one. */
export type ArchivedLine = Change & { history?: HistoryEntry[] };

/** The object key of a move's range (deterministic: a redo of the same range writes the same key). */
export function objectKey(category: Category, fromSeq: number, toSeq: number, oldestUpdatedAt: number): string {
  const day = new Date(oldestUpdatedAt).toISOString().slice(0, 10).replace(/-/g, '/');
  const pad = (n: number) => String(n).padStart(12, '0');
  return `events/${category}/${day}/${pad(fromSeq)}-${pad(toSeq)}.ndjson.gz`;
}

export const manifestKey = (category: Category) => `manifest/${category}.json`;

/** One manifest entry: where a range of a room's seqs lives and what it holds. */
export type ManifestObject = {
  key: string;
  fromSeq: number;
  toSeq: number;
  rows: number;
  bytes: number;
  sha256: string;
  minReceivedAt: string;
  maxReceivedAt: string;
  maxUpdatedAt: string;
};

/** manifest/<Category>.json: every committed object of the room, in seq order. */
export type Manifest = {
  format: 'quaycast-archive/1';
  category: Category;
  /** The D1 manifest version it shows (archive_state.manifest_version). */
  version: number;
  generatedAt: string;
  objects: ManifestObject[];
};

/** Serialises lines as gzip-compressed NDJSON. */
export async function encodeObject(lines: readonly ArchivedLine[]): Promise<Uint8Array> {
  const text = lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length > 0 ? '\n' : '');
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Reads an object's lines back (the bytes or R2's body stream). */
export async function decodeObject(
  body: ReadableStream<Uint8Array> | ArrayBuffer | Uint8Array,
): Promise<ArchivedLine[]> {
  return (await decodeObjectSized(body)).lines;
}

/** The lines, and the size of the JSON they were read from (the reader's cache bounds by it). */
export async function decodeObjectSized(
  body: ReadableStream<Uint8Array> | ArrayBuffer | Uint8Array,
): Promise<{ lines: ArchivedLine[]; bytes: number }> {
  const stream = body instanceof ReadableStream ? body : new Blob([body as BufferSource]).stream();
  const text = await new Response(stream.pipeThrough(new DecompressionStream('gzip'))).text();
  const lines: ArchivedLine[] = [];
  for (const line of text.split('\n')) if (line) lines.push(JSON.parse(line) as ArchivedLine);
  return { lines, bytes: text.length };
}

/** The change a line carries, without the history (what the changefeed and the lists give). */
export function lineChange(line: ArchivedLine): Change {
  if (isTombstone(line)) return { id: line.id, seq: line.seq, category: line.category, deleted: true };
  const { history: _history, ...event } = line;
  return event;
}

/** Hex SHA-256 of bytes (R2 checks it on upload: a corrupted write is refused, not stored). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Splits a partition's fetched records into forwardable batches bounded by count and bytes.
 * Pure: no I/O, no clock. Order is kept; every record lands in exactly one batch.
 */
export type BatchBounds = { maxMessages: number; maxBytes: number };

export function splitBatches<T>(records: readonly T[], sizeOf: (r: T) => number, bounds: BatchBounds): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = sizeOf(r);
    if (current.length > 0 && (current.length >= bounds.maxMessages || bytes + size > bounds.maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Both directions of the dead-letter exchange (the types and bounds: protocol/dead-letters.ts):
 * the Worker validates the bridge's reports and settlements, and the bridge each replay request a
 * claim answers before it produces anything from it (bridge/src/replay-io.ts).
 */
import { z } from 'zod';
import {
  type ClaimedReplay,
  type DeadLetterReport,
  MAX_CLAIMED,
  MAX_EDITED_VALUE,
  MAX_HEADER_NAME,
  MAX_HEADER_VALUE,
  MAX_KEY_CHARS,
  MAX_LETTER_HEADERS,
  MAX_REASON,
  MAX_REPLAY_ID,
  MAX_VALUE_CHARS,
  type Settlement,
} from '../dead-letters.ts';
import type { SameType } from '../same-type.ts';

export const OffsetSchema = z.string().regex(/^\d{1,19}$/, 'a Kafka offset (decimal digits)');
export const TopicSchema = z.string().min(1).max(249);
export const PartitionSchema = z.number().int().min(0).max(1_000_000);
const Encoding = z.enum(['utf8', 'base64']);
const Headers = z
  .record(z.string().max(MAX_HEADER_NAME), z.string().max(MAX_HEADER_VALUE))
  .refine((h) => Object.keys(h).length <= MAX_LETTER_HEADERS, `at most ${MAX_LETTER_HEADERS} headers`);

export const DeadLetterReportSchema = z
  .object({
    dlqTopic: TopicSchema,
    dlqPartition: PartitionSchema,
    dlqOffset: OffsetSchema,
    topic: TopicSchema,
    partition: PartitionSchema,
    offset: OffsetSchema,
    key: z.string().max(MAX_KEY_CHARS).nullable(),
    keyEncoding: Encoding,
    reason: z.string().max(MAX_REASON),
    deadAt: z.number().int().min(0).max(8.64e15),
    value: z.string().max(MAX_VALUE_CHARS).nullable(),
    valueEncoding: Encoding,
    valueBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    valueTruncated: z.boolean(),
    headers: Headers,
  })
  .strict();
true satisfies SameType<z.infer<typeof DeadLetterReportSchema>, DeadLetterReport>;

/** One claimed request: what the Worker stored, within the bounds it stored it by (an edited value may be longer than a preview). */
export const ClaimedReplaySchema = z.object({
  id: z.string().min(1).max(MAX_REPLAY_ID),
  letterId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  attempt: z.number().int().min(1).max(1_000_000),
  dlqTopic: TopicSchema,
  dlqPartition: PartitionSchema,
  dlqOffset: OffsetSchema,
  topic: TopicSchema,
  partition: PartitionSchema,
  key: z.string().max(MAX_KEY_CHARS).nullable(),
  keyEncoding: Encoding,
  value: z.string().max(Math.max(MAX_VALUE_CHARS, MAX_EDITED_VALUE)).nullable(),
  valueEncoding: Encoding,
  fromDlq: z.boolean(),
  tombstone: z.boolean(),
  headers: Headers,
  scanFrom: OffsetSchema.nullable(),
});
true satisfies SameType<z.infer<typeof ClaimedReplaySchema>, ClaimedReplay>;

export const SettlementSchema = z.discriminatedUnion('outcome', [
  z
    .object({
      id: z.string().min(1).max(MAX_REPLAY_ID),
      outcome: z.literal('produced'),
      partition: PartitionSchema,
      offset: OffsetSchema,
    })
    .strict(),
  z
    .object({
      id: z.string().min(1).max(MAX_REPLAY_ID),
      outcome: z.literal('failed'),
      reason: z.string().min(1).max(MAX_REASON),
    })
    .strict(),
]);
true satisfies SameType<z.infer<typeof SettlementSchema>, Settlement>;

/** The claim's answer as a whole; its items are judged one by one (a bad one does not sink the others). */
export const ClaimAnswerSchema = z.object({ replays: z.array(z.unknown()).max(MAX_CLAIMED) });

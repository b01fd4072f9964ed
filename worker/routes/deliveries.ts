/**
 * How webhook deliveries and their attempts are answered (a rule's, GET /api/rules/{id}/deliveries,
 * and a DCSA subscription's, GET /v2/event-subscriptions/{id}/deliveries): one schema, one view.
 */
import { z } from '@hono/zod-openapi';
import { DELIVERY_STATES } from '../../protocol/rules.ts';
import type { deliveriesOfRule } from '../db/rules.ts';

/** Deliveries listed per rule or subscription (the newest). */
export const DELIVERIES_LISTED = 100;

const AttemptSchema = z.object({
  n: z.number().int(),
  at: z.number().int().openapi({ description: 'ms since the epoch' }),
  status: z.number().int().nullable(),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
  response: z.string().nullable().openapi({ description: 'The first 512 characters of the answer' }),
});

export const DeliveryListSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      eventId: z.string(),
      url: z.string(),
      state: z.enum(DELIVERY_STATES),
      attempts: z.number().int().openapi({ description: 'Attempts since it was recorded or replayed' }),
      nextAttemptAt: z.number().int().nullable(),
      createdAt: z.number().int(),
      deliveredAt: z.number().int().nullable(),
      lastStatus: z.number().int().nullable(),
      lastError: z.string().nullable(),
      attemptLog: z.array(AttemptSchema),
    }),
  ),
});

type Listed = Awaited<ReturnType<typeof deliveriesOfRule>>[number];

/** A delivery as answered: without its body and the keys that only the runner reads. */
export function deliveryView({ body: _body, ruleId: _r, actionIndex: _a, category: _c, ...d }: Listed) {
  return d;
}

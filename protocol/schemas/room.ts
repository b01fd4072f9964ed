/**
 * The room's validation of client frames (the types: protocol/room.ts). A room parses every
 * client message with `ClientMessageSchema` before acting on it, never trusting its shape.
 */
import { z } from 'zod';
import { SEVERITIES } from '../enums.ts';
import type { AckMessage, ClientMessage, SubscribeMessage } from '../room.ts';
import type { SameType } from '../same-type.ts';

export const SubscribeMessageSchema = z.object({
  type: z.literal('subscribe'),
  severities: z.array(z.enum(SEVERITIES)).max(SEVERITIES.length),
});
true satisfies SameType<z.infer<typeof SubscribeMessageSchema>, SubscribeMessage>;

export const AckMessageSchema = z.object({
  type: z.literal('ack'),
  seq: z.number().int().min(0),
});
true satisfies SameType<z.infer<typeof AckMessageSchema>, AckMessage>;

export const ClientMessageSchema = z.discriminatedUnion('type', [SubscribeMessageSchema, AckMessageSchema]);
true satisfies SameType<z.infer<typeof ClientMessageSchema>, ClientMessage>;

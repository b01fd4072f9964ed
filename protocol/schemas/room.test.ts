import { describe, expect, it } from 'vitest';
import { ClientMessageSchema } from './room.ts';

describe('protocol > schemas > ClientMessageSchema', () => {
  it('accepts a subscribe message', () => {
    expect(ClientMessageSchema.safeParse({ type: 'subscribe', severities: ['Critical', 'High'] }).success).toBe(true);
  });

  it.each([
    ['an unknown type', { type: 'publish', severities: [] }],
    ['an unknown severity', { type: 'subscribe', severities: ['Urgent'] }],
    ['more severities than exist', { type: 'subscribe', severities: ['Low', 'Low', 'Low', 'Low', 'Low'] }],
    ['missing severities', { type: 'subscribe' }],
  ])('rejects %s', (_label, message) => {
    expect(ClientMessageSchema.safeParse(message).success).toBe(false);
  });
});

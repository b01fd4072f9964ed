/** zod schemas of the SLA document and the /api/insight query strings (types: protocol/insight.ts). */
import { z } from 'zod';
import { CATEGORIES, SEVERITIES } from '../enums.ts';
import { ENTITY_KINDS, INSIGHT_DIMENSIONS, isTimeZone } from '../insight.ts';

/** Longest SLA target: a year. */
export const MAX_TARGET_MINUTES = 525_600;

const minutes = z.number().int().min(1).max(MAX_TARGET_MINUTES);
export const SlaTargetSchema = z.strictObject({
  severity: z.enum(SEVERITIES),
  category: z.enum(CATEGORIES).nullable(),
  ackMinutes: minutes,
  resolveMinutes: minutes,
});
export const ShiftSchema = z.strictObject({
  name: z.string().trim().min(1).max(40),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'is HH:MM (00:00–23:59)'),
});
export const TimeZoneSchema = z.string().max(64).refine(isTimeZone, 'is not a known IANA time zone');

export const SlaInputSchema = z
  .strictObject({
    targets: z
      .array(SlaTargetSchema)
      .min(4)
      .max(SEVERITIES.length * (CATEGORIES.length + 1)),
    timeZone: TimeZoneSchema,
    shifts: z.array(ShiftSchema).min(1).max(12),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.targets.forEach((t, i) => {
      const key = `${t.severity}/${t.category ?? ''}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['targets', i], message: `repeats ${key}` });
      seen.add(key);
    });
    for (const s of SEVERITIES)
      if (!seen.has(`${s}/`))
        ctx.addIssue({ code: 'custom', path: ['targets'], message: `needs a default (category null) for ${s}` });
    const starts = new Set<string>();
    doc.shifts.forEach((s, i) => {
      if (starts.has(s.start))
        ctx.addIssue({ code: 'custom', path: ['shifts', i, 'start'], message: 'repeats a start' });
      starts.add(s.start);
    });
  });

/** A time: ISO-8601 or ms since the epoch. */
export const TIME_PATTERN = /^(\d{1,15}|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)$/;

export const RangeQuerySchema = z.object({
  from: z.string().max(40).regex(TIME_PATTERN, 'is ISO-8601 or ms since the epoch').optional(),
  to: z.string().max(40).regex(TIME_PATTERN, 'is ISO-8601 or ms since the epoch').optional(),
  tz: TimeZoneSchema.optional(),
  format: z.enum(['json', 'csv']).optional(),
});
export const ByQuerySchema = RangeQuerySchema.extend({
  by: z.enum(INSIGHT_DIMENSIONS).optional(),
  category: z.enum(CATEGORIES).optional(),
  severity: z.enum(SEVERITIES).optional(),
});
export const HeatmapQuerySchema = RangeQuerySchema.extend({ category: z.enum(CATEGORIES).optional() });
export const TrendsQuerySchema = z.object({
  weeks: z
    .string()
    .regex(/^\d{1,2}$/, 'is a whole number')
    .optional(),
  tz: TimeZoneSchema.optional(),
  format: z.enum(['json', 'csv']).optional(),
});
export const TopQuerySchema = RangeQuerySchema.omit({ tz: true }).extend({
  kind: z.enum(ENTITY_KINDS),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'is a whole number')
    .optional(),
});

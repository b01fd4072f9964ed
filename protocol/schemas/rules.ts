/**
 * The zod schema of a rule document (the types and the evaluator: protocol/rules.ts). Every list
 * and string is bounded and every object strict, so a document that passes is small enough for
 * the evaluator's loops; nothing here recurses over unbounded input (an escalation's `steps` is one
 * level, without escalations).
 */
import { z } from 'zod';
import { CATEGORIES, SEVERITIES, STATUSES } from '../enums.ts';
import { MAX_TITLE_CHARS } from '../event.ts';
import {
  type CONDITION_OPS,
  ESCALATE_UNLESS,
  FORBIDDEN_SEGMENTS,
  MATCH_ON,
  RULE_LIMITS,
  RULE_STATUS_ACTIONS,
  type Condition,
  type RuleAction,
  type RuleInput,
  type RuleMatch,
  type StepAction,
} from '../rules.ts';
import type { SameType } from '../same-type.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;
const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), { message: 'must not contain control characters' });

const SEGMENT = new RegExp(`^[A-Za-z0-9_$-]{1,${RULE_LIMITS.segmentChars}}$`);
const PathSchema = z
  .string()
  .min(1)
  .max(RULE_LIMITS.pathSegments * (RULE_LIMITS.segmentChars + 1))
  .refine(
    (p) => {
      const segments = p.split('.');
      return (
        segments.length <= RULE_LIMITS.pathSegments &&
        segments.every((s) => SEGMENT.test(s) && !FORBIDDEN_SEGMENTS.includes(s))
      );
    },
    {
      message: `must be at most ${RULE_LIMITS.pathSegments} dot-separated segments of letters, digits, _ $ - (no __proto__, constructor, prototype)`,
    },
  );

const str = z.string().max(RULE_LIMITS.stringValueChars);
const ScalarSchema = z.union([str, z.number().finite(), z.boolean(), z.null()]);

export const ConditionSchema = z.discriminatedUnion('op', [
  z.strictObject({ path: PathSchema, op: z.enum(['eq', 'ne']), value: ScalarSchema }),
  z.strictObject({
    path: PathSchema,
    op: z.enum(['gt', 'gte', 'lt', 'lte']),
    value: z.union([z.number().finite(), str]),
  }),
  z.strictObject({
    path: PathSchema,
    op: z.literal('in'),
    value: z.array(ScalarSchema).min(1).max(RULE_LIMITS.inValues),
  }),
  z.strictObject({ path: PathSchema, op: z.enum(['startsWith', 'contains']), value: str.min(1) }),
  z.strictObject({ path: PathSchema, op: z.literal('exists'), value: z.boolean() }),
]);
true satisfies SameType<z.infer<typeof ConditionSchema>, Condition>;
true satisfies SameType<z.infer<typeof ConditionSchema>['op'], (typeof CONDITION_OPS)[number]>;

const list = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(RULE_LIMITS.listItems);

export const RuleMatchSchema = z.strictObject({
  categories: list(z.enum(CATEGORIES)).optional(),
  severities: list(z.enum(SEVERITIES)).optional(),
  statuses: list(z.enum(STATUSES)).optional(),
  eventTypes: list(line(MAX_TITLE_CHARS)).optional(),
  on: z.enum(MATCH_ON).optional(),
  transition: z
    .strictObject({ from: list(z.enum(STATUSES)).optional(), to: list(z.enum(STATUSES)).optional() })
    .optional(),
  assignee: line(MAX_TITLE_CHARS).optional(),
  conditions: z.array(ConditionSchema).max(RULE_LIMITS.conditions).optional(),
});
true satisfies SameType<z.infer<typeof RuleMatchSchema>, RuleMatch>;

/** http(s) only, no credentials in it; whether plain http is allowed is the Worker's call (its environment). */
export const WebhookUrlSchema = z
  .string()
  .max(RULE_LIMITS.urlChars)
  .refine(
    (u) => {
      if (!URL.canParse(u)) return false;
      const url = new URL(u);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
    },
    { message: 'must be an http(s) URL without credentials' },
  );

/** A plain address (local@domain.tld), no display name, no spaces or angle brackets. */
const EMAIL = /^[^\s@<>(),;:"\u0000-\u001f\u007f]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$/;

const recipients = z.array(line(MAX_TITLE_CHARS)).min(1).max(RULE_LIMITS.recipients);

const StepActionSchemas = [
  z.strictObject({ type: z.literal('webhook'), url: WebhookUrlSchema }),
  z
    .strictObject({
      type: z.literal('notify'),
      users: recipients.optional(),
      roles: recipients.optional(),
      assignee: z.boolean().optional(),
    })
    .refine((a) => a.users || a.roles || a.assignee, { message: 'notify needs users, roles or assignee: true' }),
  z.strictObject({
    type: z.literal('createEvent'),
    eventType: line(MAX_TITLE_CHARS),
    title: line(MAX_TITLE_CHARS),
    severity: z.enum(SEVERITIES).optional(),
    category: z.enum(CATEGORIES).optional(),
    description: z.string().max(1000).optional(),
  }),
  z.strictObject({ type: z.literal('assign'), assignee: line(MAX_TITLE_CHARS) }),
  z.strictObject({ type: z.literal('setStatus'), action: z.enum(RULE_STATUS_ACTIONS) }),
  z.strictObject({ type: z.literal('raiseSeverity'), to: z.enum(SEVERITIES).optional() }),
  z.strictObject({
    type: z.literal('email'),
    to: z
      .array(z.string().max(254).regex(EMAIL, { message: 'must be an email address' }))
      .min(1)
      .max(RULE_LIMITS.emailRecipients),
  }),
] as const;

export const StepActionSchema = z.discriminatedUnion('type', [...StepActionSchemas]);
true satisfies SameType<z.infer<typeof StepActionSchema>, StepAction>;

export const RuleActionSchema = z.discriminatedUnion('type', [
  ...StepActionSchemas,
  z.strictObject({
    type: z.literal('escalate'),
    afterMinutes: z.number().int().min(1).max(RULE_LIMITS.maxEscalateMinutes),
    unless: z.enum(ESCALATE_UNLESS),
    steps: z.array(StepActionSchema).min(1).max(RULE_LIMITS.escalationActions),
  }),
]);
true satisfies SameType<z.infer<typeof RuleActionSchema>, RuleAction>;

export const RuleInputSchema = z.strictObject({
  name: line(RULE_LIMITS.nameChars),
  paused: z.boolean().optional(),
  match: RuleMatchSchema,
  actions: z.array(RuleActionSchema).min(1).max(RULE_LIMITS.actions),
});
true satisfies SameType<z.infer<typeof RuleInputSchema>, RuleInput>;

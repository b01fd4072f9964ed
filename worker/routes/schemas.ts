import { z } from '@hono/zod-openapi';

/** The error body every failing route answers with. */
export const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

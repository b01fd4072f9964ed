import type { Claims } from '../protocol/jwt.ts';

/** Hono's environment for this app: the bindings and per-request variables. */
export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; user: Claims; logFields: Record<string, unknown> };
};

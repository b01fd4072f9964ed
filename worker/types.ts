import type { Claims } from '../protocol/jwt.ts';

/** Hono's environment for this app: the bindings and per-request variables. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    user: Claims;
    logFields: Record<string, unknown>;
    /** The JWT secret that verified a bearer token (POST /api/session ties the session to it); unset for cookie sessions. */
    authSecret: string | undefined;
  };
};

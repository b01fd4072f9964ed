/**
 * What the routes share to describe themselves in the OpenAPI document (GET /api/openapi.json):
 * the error body, the answers of errors by status, who may call, and the security schemes.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../types.ts';

/** The error body every failing route answers with. */
export const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** Error answers by status, each `{ description, content: ErrorSchema as JSON }`. */
export const errors = (codes: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(codes).map(([code, description]) => [
      code,
      { description, content: { 'application/json': { schema: ErrorSchema } } },
    ]),
  );

/**
 * Security lists of the routes. People authenticate with a bearer JWT, or (browsers, reads) the
 * session cookie; the bridge with its service token. Typed: a literal array of differently-keyed
 * objects breaks the route's type inference.
 */
export const PEOPLE: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
export const BEARER: { [scheme: string]: string[] }[] = [{ bearer: [] }];
export const SERVICE: { [scheme: string]: string[] }[] = [{ serviceToken: [] }];

/** The security schemes the lists above name. */
export function registerSecuritySchemes(registry: OpenAPIHono<AppEnv>['openAPIRegistry']): void {
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'HS256 JWT with a `role` claim: viewer < producer < operator < admin',
  });
  registry.registerComponent('securitySchemes', 'cookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'qc_session',
    description: 'An opaque session id set by POST /api/session (browsers); authenticates GET requests only',
  });
  registry.registerComponent('securitySchemes', 'serviceToken', {
    type: 'http',
    scheme: 'bearer',
    description: "The bridge's INGEST_TOKEN; opens /internal/* only",
  });
}

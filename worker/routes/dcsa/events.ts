import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';
import { dcsaInvalidRequest } from './errors.ts';

export const dcsaEvents = new OpenAPIHono<AppEnv>({ defaultHook: dcsaInvalidRequest });

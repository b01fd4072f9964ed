/**
 * The events resource, mounted at /api/events: post, list (with long-poll), export, one event
 * and its history, workflow changes and delete. Mounted in this order: `export.csv` before
 * `{id}`, which would match it.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';
import { exportEvents } from './export.ts';
import { listEventsRoute } from './list.ts';
import { postEvents } from './post.ts';
import { readEvent } from './read.ts';
import { eventWorkflow } from './workflow.ts';

export const events = new OpenAPIHono<AppEnv>();

events.route('/', postEvents);
events.route('/', listEventsRoute);
events.route('/', exportEvents);
events.route('/', readEvent);
events.route('/', eventWorkflow);

/**
 * The bridge's side of the API, mounted at /internal: ingest of Kafka batches, liveness reports,
 * the outbox, and the archive run. Every path under it (an unknown one too) takes the service token first.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { requireServiceToken } from '../../middleware/auth/index.ts';
import type { AppEnv } from '../../types.ts';
import { archive } from './archive.ts';
import { bridgeStatus } from './bridge-status.ts';
import { deadLetterReports } from './dead-letters.ts';
import { ingest } from './ingest.ts';
import { outbox } from './outbox.ts';

export const internal = new OpenAPIHono<AppEnv>();

internal.use('*', requireServiceToken());
internal.route('/ingest', ingest);
internal.route('/bridge/status', bridgeStatus);
internal.route('/outbox', outbox);
internal.route('/archive', archive);
internal.route('/dead-letters', deadLetterReports);

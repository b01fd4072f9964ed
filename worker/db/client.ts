import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import * as schema from './schema.ts';

export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

/** A drizzle handle over the D1 binding. Cheap: no connection, no I/O. */
export function createDb(d1: D1Database): Db {
  return drizzle(d1, { schema });
}

/** A round trip to D1 (the health check's probe); throws when D1 does not answer. */
export async function pingDb(db: Db): Promise<void> {
  await db.$client.prepare('SELECT 1').first();
}

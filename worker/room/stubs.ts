/**
 * Addressing the rooms: one Durable Object per category (the primary, named by the category)
 * and, with ROOM_SHARDS > 1, its fan-out shards (`<Category>#k`).
 */
import type { Category } from '../../protocol/enums.ts';
import type { Room } from './room.ts';

/** The Durable Object name of a category's fan-out shard (1-based). */
export function shardName(category: Category, shard: number): string {
  return `${category}#${shard}`;
}

/** The stub of a category's room: its primary (the sequencer, and the only writer). */
export function roomStub(env: Env, category: Category): DurableObjectStub<Room> {
  return env.ROOMS.get(env.ROOMS.idFromName(category));
}

/** The stub of one fan-out shard of a category's room (ROOM_SHARDS > 1). */
export function roomShardStub(env: Env, category: Category, shard: number): DurableObjectStub<Room> {
  return env.ROOMS.get(env.ROOMS.idFromName(shardName(category, shard)));
}

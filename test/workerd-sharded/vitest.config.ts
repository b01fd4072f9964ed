import { workerdProject } from '../workerd/project.ts';

/** Sharded rooms (ROOM_SHARDS = 3): the same wrangler.toml, its own D1 and Durable Objects; reuses test/workerd's helpers. */
export default workerdProject({ name: 'workerd-sharded', dir: 'test/workerd-sharded', bindings: { ROOM_SHARDS: '3' } });

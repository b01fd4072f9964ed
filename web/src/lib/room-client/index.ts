/**
 * The room client: one category room kept connected (supervisor.ts) over one of three
 * transports (websocket.ts, sse.ts, long-poll.ts) behind one interface (transport.ts). The rest
 * of the dashboard imports this module only; the files behind it are the folder's own.
 */
export { browserRoomEnv, type EventSourceLike, type RoomClientEnv, type SocketLike } from './env.ts';
export { RoomClient, type RoomClientOptions, type RoomState, type RoomStatus } from './supervisor.ts';
export type { Transport } from './transport.ts';

/**
 * When a room cannot take events: the one error the routes turn into 503 `room_unavailable`
 * (docs/api.md). It says "not the events' fault": the bridge waits it out instead of counting
 * it toward poison isolation, so it must never stand for something a record contains.
 */
import type { Category } from '../../protocol/enums.ts';

/** One or more rooms failed to store (their D1 write threw, or the call to them failed). Retrying later may succeed. */
export class RoomUnavailableError extends Error {
  readonly retriable = true;
  readonly rooms: Category[];
  constructor(rooms: Category[], options: { cause?: unknown } = {}) {
    super(
      `${rooms.length === 1 ? 'room' : 'rooms'} ${rooms.join(', ')} could not store events right now; retry later`,
      options,
    );
    this.name = 'RoomUnavailableError';
    this.rooms = rooms;
  }
}

/**
 * True when a room call failed on our side before it left: the events could not be serialized
 * for the RPC (a stack overflow or a clone error). That is about the events, so it must stay a
 * plain error (a 500 the bridge can isolate), not a room_unavailable that would be waited out
 * forever. Errors thrown inside the room carry `remote: true`.
 */
export function failedBeforeSending(err: unknown): boolean {
  if (!(err instanceof Error) || (err as { remote?: unknown }).remote === true) return false;
  return err instanceof RangeError || err.name === 'DataCloneError';
}

/**
 * The error to throw for failed calls to rooms: each `[room, error]` pair is one room's failure.
 * A failure before sending is rethrown as it is; otherwise a RoomUnavailableError naming them all.
 */
export function roomFailure(failures: [Category, unknown][]): Error {
  const local = failures.find(([, err]) => failedBeforeSending(err));
  if (local) return local[1] as Error;
  return new RoomUnavailableError(
    failures.map(([room]) => room),
    { cause: failures[0]?.[1] },
  );
}

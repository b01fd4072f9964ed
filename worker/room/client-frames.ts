/**
 * What a socket's client may send the room, judged before it is trusted (docs/rooms.md, "The
 * protocol in one screen"): `ping` never reaches here (the runtime's auto-response answers it);
 * everything else is counted against the flood window, bounded in size, and validated with the
 * contract's schema. A bad frame is answered and the socket stays open.
 */
import { SEVERITIES, type Severity } from '../../protocol/enums.ts';
import { CLOSE, MAX_CLIENT_FRAME_BYTES, type ServerMessage } from '../../protocol/room.ts';
import { ClientMessageSchema } from '../../protocol/schemas/room.ts';
import { expire, isExpired } from './expiry.ts';
import type { RoomLimits } from './limits.ts';
import type { SocketSubscriber } from './socket-subscriber.ts';
import type { Subscribers } from './subscribers.ts';

/** Client frames counted in the current flood window of one socket. */
export type FrameWindow = { frames: number; start: number };

/** Counts one frame; false when it is one more than `clientFramesPerWindow` in the window (the socket is then closed, 1008). */
export function countFrame(
  window: FrameWindow,
  now: number,
  limits: Pick<RoomLimits, 'clientFramesPerWindow' | 'clientWindowMs'>,
): boolean {
  if (now - window.start > limits.clientWindowMs) {
    window.start = now;
    window.frames = 0;
  }
  return ++window.frames <= limits.clientFramesPerWindow;
}

/** The verdict on one client frame. `subscribe`'s severities: null is "everything". */
export type ClientFrame =
  | { kind: 'too_big'; message: string }
  | { kind: 'bad_frame'; message: string }
  | { kind: 'ack'; seq: number }
  | { kind: 'subscribe'; severities: Severity[] | null };

const utf8 = new TextEncoder();

/** Reads one client frame (text or binary) into what the room does with it. */
export function readClientFrame(message: string | ArrayBuffer): ClientFrame {
  const size = typeof message === 'string' ? utf8.encode(message).byteLength : message.byteLength;
  if (size > MAX_CLIENT_FRAME_BYTES)
    return { kind: 'too_big', message: `frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes` };
  if (typeof message !== 'string') return { kind: 'bad_frame', message: 'binary frames are not part of the protocol' };
  let data: unknown;
  try {
    data = JSON.parse(message);
  } catch {
    // not JSON: the client is told, and the socket stays usable
    return { kind: 'bad_frame', message: 'frames must be JSON (or the text ping)' };
  }
  const parsed = ClientMessageSchema.safeParse(data);
  if (!parsed.success)
    return {
      kind: 'bad_frame',
      message: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    };
  const m = parsed.data;
  if (m.type === 'ack') return { kind: 'ack', seq: m.seq };
  // Duplicates are folded first: four copies of one severity are that severity, not "all four".
  const wanted = [...new Set(m.severities)];
  return { kind: 'subscribe', severities: wanted.length === 0 || wanted.length === SEVERITIES.length ? null : wanted };
}

export type FrameHost = {
  readonly limits: RoomLimits;
  readonly subscribers: Subscribers;
  readonly room: string | undefined;
};

/** Answers one frame of a socket's client, as docs/rooms.md says: flooding and oversize close it, a bad frame is told. */
export function answerClientFrame(
  s: SocketSubscriber,
  message: string | ArrayBuffer,
  now: number,
  host: FrameHost,
): void {
  const { limits, subscribers } = host;
  const reply = (m: ServerMessage) => s.send(JSON.stringify(m));
  if (isExpired(s, now)) {
    // the alarm is on its way; a frame arriving first must not find the socket still served
    expire(subscribers, s, host.room);
    return;
  }
  if (!countFrame(s.window, now, limits)) {
    reply({
      type: 'error',
      code: 'rate_limited',
      message: `more than ${limits.clientFramesPerWindow} frames in ${limits.clientWindowMs / 1000} s`,
    });
    subscribers.drop(s, CLOSE.policy, 'too many frames');
    return;
  }
  const frame = readClientFrame(message);
  switch (frame.kind) {
    case 'too_big':
      reply({ type: 'error', code: 'frame_too_big', message: frame.message });
      subscribers.drop(s, CLOSE.tooBig, 'frame too big');
      return;
    case 'bad_frame':
      reply({ type: 'error', code: 'bad_frame', message: frame.message });
      return;
    case 'ack':
      s.ack(frame.seq, now);
      return;
    case 'subscribe':
      // The new filter applies to every change above the cursor (replay pages included).
      s.severities = frame.severities;
      s.persist();
      reply({ type: 'subscribed', severities: s.severities ?? [...SEVERITIES], seq: s.cursor });
      return;
  }
}

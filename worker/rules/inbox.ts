/**
 * The inbox bell: one Durable Object holding the dashboards' notification sockets (hibernating),
 * tagged by who reads what (`user:<sub>`, `role:<role>` and the roles below). The rule runners
 * ring it after they recorded notifications; a ring sends `{ "type": "notifications" }` to the
 * sockets of those recipients, and the dashboard re-reads GET /api/notifications. The socket
 * carries no content, only the hint: the unread count always comes from D1, so it is right after
 * any reconnect (docs/rules.md, "Notifications"). With Web Push on, `push` sends the recorded
 * notifications to their recipients' browsers in `waitUntil` (worker/push/send.ts, docs/push.md).
 */
import { DurableObject } from 'cloudflare:workers';
import { isRole } from '../../protocol/roles.ts';
import { ROOM_SUBPROTOCOL } from '../../protocol/room.ts';
import { type NotificationInsert, recipientsOf } from '../db/rules.ts';
import { pushNotifications } from '../push/send.ts';

/** The hint a ring sends. */
export const INBOX_HINT = JSON.stringify({ type: 'notifications' });
/** Longest tag the runtime takes is 256 characters; a sub is cut to this. */
const MAX_SUB_CHARS = 200;

export class Inbox extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  /** A dashboard's socket (the Worker checked the token and passes who it is). */
  override async fetch(request: Request): Promise<Response> {
    const sub = (request.headers.get('x-qc-user') ?? '').slice(0, MAX_SUB_CHARS);
    const role = request.headers.get('x-qc-role');
    if (!sub || !isRole(role)) return new Response('who is it?', { status: 400 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], recipientsOf(sub, role));
    pair[1].send(JSON.stringify({ type: 'hello' }));
    const headers = request.headers.get('x-qc-subprotocol')
      ? { 'sec-websocket-protocol': ROOM_SUBPROTOCOL }
      : undefined;
    return new Response(null, { status: 101, webSocket: pair[0], headers });
  }

  /** Sends the hint to every socket of these recipients (each socket once). */
  async ring(recipients: string[]): Promise<number> {
    const sockets = new Set<WebSocket>();
    for (const r of recipients.slice(0, 1000))
      for (const ws of this.ctx.getWebSockets(r.slice(0, 256))) sockets.add(ws);
    for (const ws of sockets) {
      try {
        ws.send(INBOX_HINT);
      } catch {
        // a socket closing right now: its dashboard re-reads the inbox when it reconnects
      }
    }
    return sockets.size;
  }

  /** Starts pushing these notifications (worker/push/send.ts) and returns at once: the runner does not wait. */
  async push(notifications: NotificationInsert[]): Promise<void> {
    this.ctx.waitUntil(pushNotifications(this.env, notifications.slice(0, 1000)));
  }

  override async webSocketMessage(): Promise<void> {
    // the dashboard sends nothing but `ping` (answered without waking this object)
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }
}

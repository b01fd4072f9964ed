/** The Worker's HTTP API as the dashboard uses it: bearer auth, the API's error shape, typed results. */
import type { QuaycastEvent, Change } from '../../../protocol/event.ts';
import type { HistoryEntry } from '../../../protocol/history.ts';
import type { Rule, RuleInput } from '../../../protocol/rules.ts';
import { toChange } from '../../../protocol/server-message.ts';
import type { StatsResponse } from '../../../protocol/stats.ts';
import type { WorkflowAction } from '../../../protocol/workflow.ts';
import type { InsightQuery } from './insight.ts';
import type { SlaDocument } from './sla.ts';
import type { PipelineView } from './status.ts';

/** An error answer of the API (`{ error: { code, message, details? } }`) or a network failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export type PatchBody = {
  action: WorkflowAction;
  assignee?: string;
  resolution?: string;
  note?: string;
  /** Applied once by the Worker (docs/mobile.md): the offline queue's stable id. */
  actionId?: string;
};

export type Stats = {
  total?: number;
  today?: number;
  critical?: number;
  unresolved?: number;
  byCategory?: Record<string, number>;
  bySeverity?: Record<string, number>;
  byStatus?: Record<string, number>;
  connections?: Record<string, number>;
  /** Events received per minute over the last hour, oldest first. */
  perMinute?: number[];
  /** Whether Kafka records reach D1 (state and reasons; the Worker's `pipeline`). */
  pipeline?: PipelineView;
  /** The days D1 keeps when older events are archived (text search reads only those); absent: all in D1. */
  hotDays?: number;
};

/** One entry of the caller's inbox (GET /api/notifications). */
export type Notification = {
  id: string;
  ruleId: string | null;
  eventId: string;
  category: string;
  severity: string;
  title: string;
  kind: string;
  createdAt: string;
  read: boolean;
};

/** A dead letter as GET /api/dead-letters shows it (docs/bridge.md, "Dead letters on the page"). */
export type DeadLetterRow = {
  id: number;
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  reason: string;
  deadAt: string;
  status: string;
  value: string | null;
  valueEncoding: 'utf8' | 'base64';
  valueBytes: number;
  valueTruncated: boolean;
};

/** One replay request of a dead letter, with its outcome. */
export type DeadLetterReplay = {
  id: string;
  status: string;
  producedPartition: number | null;
  producedOffset: string | null;
  error?: string | null;
  requestedAt: string;
};

/** A webhook delivery of a rule, with its attempts (GET /api/rules/{id}/deliveries). */
export type Delivery = {
  id: string;
  eventId: string;
  url: string;
  state: 'pending' | 'delivered' | 'failed' | 'disabled';
  attempts: number;
  nextAttemptAt: number | null;
  createdAt: number;
  lastStatus: number | null;
  lastError: string | null;
  attemptLog: { n: number; at: number; status: number | null; latencyMs: number; error: string | null }[];
};

/** Times to acknowledge or resolve of one group (ms; null without any). */
export type Durations = { count: number; meanMs: number | null; medianMs: number | null; p90Ms: number | null };
/** Met and breached targets of one group; `compliance` = met / (met + breached), null without any. */
export type Compliance = { met: number; breached: number; compliance: number | null };

/** The answers of the /api/insight routes (docs/api.md). */
export type InsightAnswers = {
  'response-times': {
    from: number;
    to: number;
    timeZone: string;
    by: string;
    rows: { key: string; ack: Durations; resolve: Durations }[];
  };
  sla: {
    from: number;
    to: number;
    timeZone: string;
    by: string;
    rows: { key: string; ack: Compliance; resolve: Compliance }[];
    openBreached: { ack: number; resolve: number };
  };
  /** Per category, 7 rows (Monday first) of 24 hourly counts, in `timeZone`. */
  heatmap: { from: number; to: number; timeZone: string; categories: Record<string, number[][]> };
  /** Oldest week first; the current, partial week last. */
  trends: { timeZone: string; weeks: { start: string; counts: Record<string, Record<string, number>> }[] };
  'top-entities': { kind: string; from: number; to: number; rows: { id: string; count: number; critical: number }[] };
};

export type Api = ReturnType<typeof createApi>;

/** `fetchImpl` and `baseUrl` are injectable for tests. */
export function createApi(opts: { token: () => string | undefined; baseUrl?: string; fetchImpl?: typeof fetch }) {
  const base = opts.baseUrl ?? '';
  const doFetch = opts.fetchImpl ?? ((...a: Parameters<typeof fetch>) => fetch(...a));

  async function request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = opts.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, 'network', 'the server could not be reached');
    }
    if (!res.ok) {
      let code = `http_${res.status}`;
      let message = res.statusText || `HTTP ${res.status}`;
      let details: unknown;
      try {
        const j = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
        if (j.error) {
          code = j.error.code ?? code;
          message = j.error.message ?? message;
          details = j.error.details;
        }
      } catch {
        // a body that is not the API's JSON error: keep the status text
      }
      throw new ApiError(res.status, code, message, details);
    }
    return res;
  }
  const json = async <T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> =>
    (await request(method, path, body, signal)).json() as Promise<T>;

  return {
    async listEvents(query: URLSearchParams, signal?: AbortSignal): Promise<{ data: Change[]; nextCursor: unknown }> {
      const r = await json<{ data?: unknown[]; nextCursor?: unknown }>(
        'GET',
        `/api/events?${query}`,
        undefined,
        signal,
      );
      return {
        data: (r.data ?? []).map(toChange).filter((c): c is Change => c !== undefined),
        nextCursor: r.nextCursor ?? null,
      };
    },
    getEvent: (id: string) => json<QuaycastEvent>('GET', `/api/events/${encodeURIComponent(id)}`),
    async history(id: string): Promise<HistoryEntry[]> {
      const r = await json<unknown>('GET', `/api/events/${encodeURIComponent(id)}/history`);
      const list = Array.isArray(r) ? r : ((r as { data?: unknown[] }).data ?? []);
      return list as HistoryEntry[];
    },
    patch: (id: string, body: PatchBody) => json<QuaycastEvent>('PATCH', `/api/events/${encodeURIComponent(id)}`, body),
    async remove(id: string): Promise<void> {
      await request('DELETE', `/api/events/${encodeURIComponent(id)}`);
    },
    /** 201 with, per event, `stored` or `duplicate` and its seq; the event itself arrives through its room. */
    create: (input: Record<string, unknown>) =>
      json<{ data: { id: string; seq: number; status: 'stored' | 'duplicate' }[] }>('POST', '/api/events', input),
    stats: () => json<StatsResponse>('GET', '/api/stats'),
    async exportCsv(query: URLSearchParams): Promise<Blob> {
      return (await request('GET', `/api/events/export.csv?${query}`)).blob();
    },
    notifications: () => json<{ unread: number; data: Notification[] }>('GET', '/api/notifications?limit=50'),
    /** Marks these (or all) notifications read; answers the unread count after. */
    markNotificationsRead: (ids?: string[]) =>
      json<{ unread: number }>('POST', '/api/notifications/read', ids === undefined ? {} : { ids }),
    listRules: async () => (await json<{ data: Rule[] }>('GET', '/api/rules')).data,
    createRule: (rule: RuleInput) => json<Rule>('POST', '/api/rules', rule),
    setRulePaused: (id: string, paused: boolean) =>
      json<Rule>('PATCH', `/api/rules/${encodeURIComponent(id)}`, { paused }),
    async deleteRule(id: string): Promise<void> {
      await request('DELETE', `/api/rules/${encodeURIComponent(id)}`);
    },
    tryRule: (rule: RuleInput) =>
      json<{ fired: number; evaluated: number; hours: number }>('POST', '/api/rules/try', { rule }),
    ruleDeliveries: async (id: string) =>
      (await json<{ data: Delivery[] }>('GET', `/api/rules/${encodeURIComponent(id)}/deliveries`)).data,
    replayDelivery: (id: string) => json<{ id: string }>('POST', '/api/rules/deliveries/replay', { id }),
    /** The SLA targets, the port's time zone and its shifts. */
    getSla: (signal?: AbortSignal) => json<SlaDocument>('GET', '/api/sla', undefined, signal),
    /** Admins only; answers the stored document. */
    putSla: (doc: Pick<SlaDocument, 'targets' | 'timeZone' | 'shifts'>) => json<SlaDocument>('PUT', '/api/sla', doc),
    insight: <Q extends InsightQuery>(q: Q, query: URLSearchParams, signal?: AbortSignal) =>
      json<InsightAnswers[Q]>('GET', `/api/insight/${q}?${query}`, undefined, signal),
    /** The same route as CSV (`format=csv` in `query`). */
    async insightCsv(q: InsightQuery, query: URLSearchParams): Promise<Blob> {
      return (await request('GET', `/api/insight/${q}?${query}`)).blob();
    },
    listDeadLetters: (query: URLSearchParams) =>
      json<{ data: DeadLetterRow[]; next: number | null }>('GET', `/api/dead-letters?${query}`),
    deadLetter: (id: number) => json<DeadLetterRow & { replays: DeadLetterReplay[] }>('GET', `/api/dead-letters/${id}`),
    replayDeadLetters: (ids: number[], value?: string) =>
      json<{ replays: { id: string; letterId: number }[]; refused: unknown[] }>(
        'POST',
        '/api/dead-letters/replay',
        value === undefined ? { ids } : { ids, value },
      ),
    discardDeadLetters: (ids: number[]) =>
      json<{ discarded: number[]; refused: unknown[] }>('POST', '/api/dead-letters/discard', { ids }),
    /** Starts the server session whose `qc_session` cookie EventSource and long-polling authenticate with. */
    async openSession(): Promise<void> {
      await request('POST', '/api/session');
    },
    /** Ends the server session (sign-out): the cookie no longer authenticates anything. */
    async closeSession(): Promise<void> {
      await request('DELETE', '/api/session');
    },
  };
}

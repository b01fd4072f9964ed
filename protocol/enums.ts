/** The closed vocabularies of the event contract (DESIGN.md). Exactly these strings on the wire. */
export const CATEGORIES = ['Container', 'Ship', 'Berth', 'Port', 'System'] as const;
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low'] as const;
export const STATUSES = ['New', 'Acknowledged', 'InProgress', 'Resolved', 'Closed'] as const;

export type Category = (typeof CATEGORIES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type Status = (typeof STATUSES)[number];

/** Kafka topics the product reads by default, and the room each one falls back to. */
export const TOPIC_CATEGORY: Readonly<Record<string, Category>> = {
  'container-events': 'Container',
  'port-events': 'Port',
};

/** Where an event made through the API is published (DESIGN.md, Kafka). */
export function topicForCategory(category: Category): string {
  return category === 'Container' ? 'container-events' : 'port-events';
}

function lookup<T extends string>(values: readonly T[]): (raw: string) => T | undefined {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v]));
  return (raw) => byLower.get(raw.replace(/[\s_-]/g, '').toLowerCase());
}

/** Case- and space-insensitive enum lookups: legacy producers send `critical`, `In Progress`. */
export const parseCategory = lookup(CATEGORIES);
export const parseSeverity = lookup(SEVERITIES);
export const parseStatus = lookup(STATUSES);

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

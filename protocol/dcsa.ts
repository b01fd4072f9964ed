/**
 * DCSA Track & Trace 2.2 (docs/dcsa.md): the zod-free part — the standard's code lists that the
 * mapping reads, the identifier checks (ISO 6346 container codes, IMO numbers, UN/LOCODEs) and how
 * a DCSA document is recognised. The schemas are in schemas/dcsa.ts; code lists are facts of
 * DCSA TNT 2.2.0 (EVENT_DOMAIN 1.0.4), cited beside each one.
 */

/** TNT 2.2.0 `eventTypes` items. */
export const DCSA_EVENT_TYPES = ['SHIPMENT', 'TRANSPORT', 'EQUIPMENT'] as const;
export type DcsaEventType = (typeof DCSA_EVENT_TYPES)[number];

/** TNT 2.2.0 `eventClassifierCode` (on every event body): actual, planned, estimated. */
export const DCSA_CLASSIFIERS = ['ACT', 'PLN', 'EST'] as const;

/** TNT 2.2.0 `equipmentEventTypeCode`. */
export const EQUIPMENT_EVENT_TYPE_CODES = [
  'LOAD',
  'DISC',
  'GTIN',
  'GTOT',
  'STUF',
  'STRP',
  'PICK',
  'DROP',
  'INSP',
  'RSEA',
  'RMVD',
] as const;

/** TNT 2.2.0 `transportEventTypeCode`. */
export const TRANSPORT_EVENT_TYPE_CODES = ['ARRI', 'DEPA'] as const;

/** TNT 2.2.0 `shipmentEventTypeCode`. */
export const SHIPMENT_EVENT_TYPE_CODES = [
  'RECE',
  'DRFT',
  'PENA',
  'PENU',
  'REJE',
  'APPR',
  'ISSU',
  'SURR',
  'SUBM',
  'VOID',
  'CONF',
  'REQS',
  'CMPL',
  'HOLD',
  'RELS',
] as const;

/** The media type that marks a body as DCSA TNT without looking at its shape (docs/dcsa.md). */
export const DCSA_MEDIA_TYPE = 'application/vnd.dcsa.tnt+json';

/**
 * Whether a value is meant as a DCSA event: an object with a DCSA `eventType` and both
 * `eventClassifierCode` and `eventCreatedDateTime`, properties no Quaycast or legacy producer
 * sends together. Recognised documents are validated against the DCSA schema, never the legacy one.
 */
export function looksLikeDcsaEvent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.eventType === 'string' &&
    (DCSA_EVENT_TYPES as readonly string[]).includes(v.eventType) &&
    'eventClassifierCode' in v &&
    'eventCreatedDateTime' in v
  );
}

/** ISO 6346 letter values: A = 10 upward, skipping the multiples of 11. */
function letterValue(ch: string): number {
  let n = 10;
  for (let c = 65; c <= 90; c++) {
    if (n % 11 === 0) n++;
    if (String.fromCharCode(c) === ch) return n;
    n++;
  }
  return -1;
}

const ISO6346 = /^[A-Z]{3}[UJZR][0-9]{7}$/;

/** The ISO 6346 check digit of the first ten characters of a container code. */
export function iso6346CheckDigit(firstTen: string): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const ch = firstTen[i] ?? '';
    const value = i < 4 ? letterValue(ch) : Number(ch);
    sum += value * 2 ** i;
  }
  return (sum % 11) % 10;
}

/** Whether `code` is an ISO 6346 container code (owner, category U/J/Z/R, serial) whose check digit verifies. */
export function isIso6346(code: string): boolean {
  return ISO6346.test(code) && iso6346CheckDigit(code.slice(0, 10)) === Number(code[10]);
}

/** Whether `imo` is a 7-digit IMO ship number whose last digit is its check digit. */
export function isImoNumber(imo: string): boolean {
  if (!/^[0-9]{7}$/.test(imo)) return false;
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(imo[i]) * (7 - i);
  return sum % 10 === Number(imo[6]);
}

/** Whether `code` has the form of a UN/LOCODE: ISO 3166 country letters and a 3-character place code. */
export function isUnLocode(code: string): boolean {
  return /^[A-Z]{2}[A-Z2-9]{3}$/.test(code);
}

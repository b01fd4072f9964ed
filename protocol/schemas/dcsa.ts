/**
 * DCSA Track & Trace 2.2.0 shapes as zod schemas, field by field from the published OpenAPI
 * document (dcsaorg/DCSA-OpenAPI tnt/v2, v2.2.0 with EVENT_DOMAIN 1.0.4). The comment before each
 * schema names the spec's component it follows. Quaycast is stricter than the standard in three
 * places, on purpose (docs/dcsa.md): equipment references must be ISO 6346 codes with a valid
 * check digit, vessel IMO numbers must carry a valid check digit, UN/LOCODEs must have their form.
 * Unknown properties are let through (the standard does not forbid them); the stored document is
 * the original, not the parsed value.
 */
import { z } from 'zod';
import {
  DCSA_CLASSIFIERS,
  DCSA_EVENT_TYPES,
  EQUIPMENT_EVENT_TYPE_CODES,
  isImoNumber,
  isIso6346,
  isUnLocode,
  SHIPMENT_EVENT_TYPE_CODES,
  TRANSPORT_EVENT_TYPE_CODES,
} from '../dcsa.ts';

const s = (max: number) => z.string().max(max);
/** format: date-time, with a zone (the standard's examples carry offsets). */
const dateTime = z.iso.datetime({ offset: true });

/** TNT 2.2.0 `UNLocationCode` (maxLength 5), plus the UN/LOCODE form. */
export const UnLocationCodeSchema = s(5).refine(isUnLocode, { message: 'must be a UN/LOCODE (e.g. NLRTM)' });
/** TNT 2.2.0 `vesselIMONumber` (maxLength 7), plus the IMO check digit. */
export const VesselImoNumberSchema = s(7).refine(isImoNumber, {
  message: 'must be a 7-digit IMO number with a valid check digit',
});
/** TNT 2.2.0 `equipmentReference` (maxLength 15), narrowed to ISO 6346 with its check digit. */
export const EquipmentReferenceSchema = s(15).refine(isIso6346, {
  message: 'must be an ISO 6346 container code with a valid check digit',
});
/** TNT 2.2.0 `facilityCode` (maxLength 6). */
const FacilityCodeSchema = s(6);
/** TNT 2.2.0 `facilityCodeListProvider`. */
const FacilityCodeListProviderSchema = z.enum(['BIC', 'SMDG']);

/** TNT 2.2.0 `address`. */
export const DcsaAddressSchema = z.object({
  name: s(100).optional(),
  street: s(100).optional(),
  streetNumber: s(50).optional(),
  floor: s(50).optional(),
  postCode: s(10).optional(),
  city: s(65).optional(),
  stateRegion: s(65).optional(),
  country: s(75).optional(),
});

/** TNT 2.2.0 `location`. */
export const DcsaLocationSchema = z.object({
  locationName: s(100).optional(),
  latitude: s(10).optional(),
  longitude: s(11).optional(),
  UNLocationCode: UnLocationCodeSchema.optional(),
  facilityCode: FacilityCodeSchema.optional(),
  facilityCodeListProvider: FacilityCodeListProviderSchema.optional(),
  address: DcsaAddressSchema.optional(),
});

/** TNT 2.2.0 `vessel` (required: vesselIMONumber). */
export const DcsaVesselSchema = z.object({
  vesselIMONumber: VesselImoNumberSchema,
  vesselName: s(35).optional(),
  vesselFlag: s(2).optional(),
  vesselCallSignNumber: s(10).optional(),
  vesselOperatorCarrierCode: s(10).optional(),
  vesselOperatorCarrierCodeListProvider: z.enum(['SMDG', 'NMFTA']).optional(),
});

/** TNT 2.2.0 `transportCall` (required: transportCallID, modeOfTransport). */
export const DcsaTransportCallSchema = z.object({
  transportCallID: s(100),
  carrierServiceCode: s(5).optional(),
  carrierVoyageNumber: s(50).optional(),
  exportVoyageNumber: s(50).optional(),
  importVoyageNumber: s(50).optional(),
  transportCallSequenceNumber: z.number().int().optional(),
  UNLocationCode: UnLocationCodeSchema.optional(),
  facilityCode: FacilityCodeSchema.optional(),
  facilityCodeListProvider: FacilityCodeListProviderSchema.optional(),
  /** TNT 2.2.0 `facilityTypeCodeTRN`. */
  facilityTypeCode: z.enum(['BOCR', 'CLOC', 'COFS', 'COYA', 'OFFD', 'DEPO', 'INTE', 'POTE', 'RAMP']).optional(),
  otherFacility: s(50).optional(),
  modeOfTransport: z.enum(['VESSEL', 'RAIL', 'TRUCK', 'BARGE']),
  location: DcsaLocationSchema.optional(),
  vessel: DcsaVesselSchema.optional(),
});

/** TNT 2.2.0 `documentReferences` items (`documentReferences_inner`). */
export const DcsaDocumentReferenceSchema = z.object({
  documentReferenceType: z.enum(['BKG', 'TRD']).optional(),
  documentReferenceValue: z.string().optional(),
});
/** TNT 2.2.0 `reference` (required: referenceType, referenceValue). */
export const DcsaReferenceSchema = z.object({
  referenceType: z.enum(['FF', 'SI', 'PO', 'CR', 'AAO', 'EQ']),
  referenceValue: s(100),
});
/** TNT 2.2.0 `seal` (required: sealNumber, sealType). */
export const DcsaSealSchema = z.object({
  sealNumber: s(15),
  sealSource: z.enum(['CAR', 'SHI', 'PHY', 'VET', 'CUS']).optional(),
  sealType: z.enum(['KLP', 'BLT', 'WIR']),
});

/** Bounded lists: the standard sets no maxItems; Quaycast's 16 KiB eventData bound caps them anyway. */
const list = <T extends z.ZodType>(item: T) => z.array(item).max(100);

/** TNT 2.2.0 `baseEvent` + `baseEventBody` (required: eventCreatedDateTime, eventType, eventClassifierCode, eventDateTime). */
const baseEvent = {
  eventID: z.uuid().optional(),
  eventCreatedDateTime: dateTime,
  eventClassifierCode: z.enum(DCSA_CLASSIFIERS),
  eventDateTime: dateTime,
  references: list(DcsaReferenceSchema).optional(),
};

/** TNT 2.2.0 `transportEvent` (`operationsTransportEvent` + documentReferences + references; required: transportCall, transportEventTypeCode). */
export const DcsaTransportEventSchema = z.object({
  ...baseEvent,
  eventType: z.literal('TRANSPORT'),
  transportEventTypeCode: z.enum(TRANSPORT_EVENT_TYPE_CODES),
  delayReasonCode: s(3).optional(),
  vesselScheduleChangeRemark: s(250).optional(),
  changeRemark: s(250).optional(),
  transportCallID: s(100).optional(),
  transportCall: DcsaTransportCallSchema,
  documentReferences: list(DcsaDocumentReferenceSchema).optional(),
});

/** TNT 2.2.0 `equipmentEvent` (`baseEquipmentEvent` + references + seals; required: equipmentEventTypeCode, emptyIndicatorCode). */
export const DcsaEquipmentEventSchema = z.object({
  ...baseEvent,
  eventType: z.literal('EQUIPMENT'),
  equipmentEventTypeCode: z.enum(EQUIPMENT_EVENT_TYPE_CODES),
  equipmentReference: EquipmentReferenceSchema.optional(),
  ISOEquipmentCode: s(4).optional(),
  emptyIndicatorCode: z.enum(['EMPTY', 'LADEN']),
  eventLocation: DcsaLocationSchema.optional(),
  transportCallID: s(100).optional(),
  transportCall: DcsaTransportCallSchema.optional(),
  documentReferences: list(DcsaDocumentReferenceSchema).optional(),
  seals: list(DcsaSealSchema).optional(),
});

/** TNT 2.2.0 `shipmentEvent` (`baseShipmentEvent` + references; required: shipmentEventTypeCode, documentID, documentTypeCode). */
export const DcsaShipmentEventSchema = z.object({
  ...baseEvent,
  eventType: z.literal('SHIPMENT'),
  shipmentEventTypeCode: z.enum(SHIPMENT_EVENT_TYPE_CODES),
  documentID: s(100),
  documentTypeCode: z.enum(['CBR', 'BKG', 'SHI', 'SRM', 'TRD', 'ARN', 'VGM', 'CAS', 'CUS', 'DGD', 'OOG']),
  reason: s(250).optional(),
});

/** TNT 2.2.0 `GET /v2/events` 200 item: oneOf the three, discriminator `eventType`. */
export const DcsaEventSchema = z.discriminatedUnion('eventType', [
  DcsaShipmentEventSchema,
  DcsaTransportEventSchema,
  DcsaEquipmentEventSchema,
]);
export type DcsaEvent = z.infer<typeof DcsaEventSchema>;
export type DcsaEquipmentEvent = z.infer<typeof DcsaEquipmentEventSchema>;
export type DcsaTransportEvent = z.infer<typeof DcsaTransportEventSchema>;
export type DcsaShipmentEvent = z.infer<typeof DcsaShipmentEventSchema>;

/** A comma-separated query value of one enum (the standard's `style: form, explode: false`). */
const csvOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(200)
    .transform((v) => v.split(','))
    .pipe(z.array(z.enum(values)).min(1));

/** The operators the standard allows on `eventCreatedDateTime` (`eventCreatedDateTime:gte=…`). */
export const DATE_OPERATORS = ['gte', 'gt', 'lte', 'lt', 'eq'] as const;

/** TNT 2.2.0 `GET /v2/events` query parameters that Quaycast answers (docs/dcsa.md lists the rest). */
export const DcsaEventsQuerySchema = z.object({
  eventType: csvOf(DCSA_EVENT_TYPES).optional(),
  shipmentEventTypeCode: csvOf(SHIPMENT_EVENT_TYPE_CODES).optional(),
  transportEventTypeCode: csvOf(TRANSPORT_EVENT_TYPE_CODES).optional(),
  equipmentEventTypeCode: csvOf(EQUIPMENT_EVENT_TYPE_CODES).optional(),
  equipmentReference: s(15).optional(),
  vesselIMONumber: s(7).optional(),
  UNLocationCode: s(5).optional(),
  /** DCSA_DOMAIN 1.0.3 `limit`: minimum 1. */
  limit: z.coerce.number().int().min(1).max(500).optional(),
  /** DCSA_DOMAIN 1.0.3 `cursor`: opaque. */
  cursor: z.string().max(500).optional(),
  'eventCreatedDateTime:gte': dateTime.optional(),
  'eventCreatedDateTime:gt': dateTime.optional(),
  'eventCreatedDateTime:lte': dateTime.optional(),
  'eventCreatedDateTime:lt': dateTime.optional(),
  'eventCreatedDateTime:eq': dateTime.optional(),
  eventCreatedDateTime: dateTime.optional(),
});

/** TNT 2.2.0 `subscriptionBody` (EVENT_DOMAIN 1.0.4 shipment/transport/equipment subscription bodies; required: callbackUrl). */
export const DcsaSubscriptionBodySchema = z.object({
  callbackUrl: z.url({ protocol: /^https?$/ }).max(2000),
  eventType: z.array(z.enum(DCSA_EVENT_TYPES)).max(3).optional(),
  shipmentEventTypeCode: z.array(z.enum(SHIPMENT_EVENT_TYPE_CODES)).max(20).optional(),
  documentTypeCode: z
    .array(z.enum(['SHI', 'TRD']))
    .max(20)
    .optional(),
  carrierBookingReference: s(35).optional(),
  transportDocumentReference: s(20).optional(),
  transportDocumentTypeCode: z.enum(['BOL', 'SWB']).optional(),
  transportEventTypeCode: z.array(z.enum(TRANSPORT_EVENT_TYPE_CODES)).max(2).optional(),
  scheduleID: z.uuid().optional(),
  transportCallID: s(100).optional(),
  vesselIMONumber: s(7).optional(),
  carrierVoyageNumber: s(50).optional(),
  exportVoyageNumber: s(50).optional(),
  carrierServiceCode: s(5).optional(),
  UNLocationCode: s(5).optional(),
  equipmentEventTypeCode: z.array(z.enum(EQUIPMENT_EVENT_TYPE_CODES)).max(20).optional(),
  equipmentReference: s(15).optional(),
});

/** TNT 2.2.0 `subscriptionBodyWithSecret` (required: secret, format byte = base64). */
export const DcsaSubscriptionBodyWithSecretSchema = DcsaSubscriptionBodySchema.extend({
  secret: z.base64().min(4).max(1000),
});

/** TNT 2.2.0 `subscription`: subscriptionID (uuid) + subscriptionBody. */
export const DcsaSubscriptionSchema = DcsaSubscriptionBodySchema.extend({ subscriptionID: z.uuid() });

/** TNT 2.2.0 `PUT /v2/event-subscriptions/{subscriptionID}/secret` body. */
export const DcsaSecretBodySchema = z.object({ secret: z.base64().min(4).max(1000) });

/** The API version the `/v2` routes answer in their `API-Version` header (DCSA_DOMAIN 1.0.3 `API-Version`). */
export const DCSA_API_VERSION = '2.2.0';

/** ERROR_DOMAIN 1.0.0 `error` (required: httpMethod, requestUri, errors, statusCode, statusCodeText, errorDateTime). */
export const DcsaErrorSchema = z.object({
  httpMethod: z.string(),
  requestUri: z.string(),
  /** ERROR_DOMAIN 1.0.0 `subErrors` (required: reason, message). */
  errors: z.array(z.object({ reason: z.string(), message: z.string() })),
  statusCode: z.number().int(),
  statusCodeText: z.string(),
  errorDateTime: dateTime,
});
export type DcsaError = z.infer<typeof DcsaErrorSchema>;

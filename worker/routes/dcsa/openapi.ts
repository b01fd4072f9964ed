/**
 * How the `/v2` routes describe their answers in the OpenAPI document: the `API-Version` header,
 * paging link headers, and error answers in the standard's shape (`DcsaError`, ERROR_DOMAIN 1.0.0).
 */
import { DcsaErrorSchema } from '../../../protocol/schemas/dcsa.ts';

/** A string header of an answer. */
export const header = (description: string, required = false) => ({
  description,
  required,
  schema: { type: 'string' as const },
});

/** The header every `/v2` answer carries. */
export const apiVersion = { 'API-Version': header('The API version answered (2.2.0)', true) };

const DcsaError = DcsaErrorSchema.openapi('DcsaError');

/** One error answer: the standard's error body with `API-Version`. */
export const errorAnswer = (description: string) => ({
  description,
  headers: apiVersion,
  content: { 'application/json': { schema: DcsaError } },
});

/** Error answers by status. */
export const dcsaErrors = (codes: Record<number, string>) =>
  Object.fromEntries(Object.entries(codes).map(([code, description]) => [code, errorAnswer(description)]));

/**
 * The OpenAPI document is part of the HTTP API: a restructuring of the routes must leave it
 * equivalent (same paths, methods, parameters, schemas, security). It is compared, with its
 * object keys sorted (key order is registration order, which says nothing), against the
 * committed file beside this test. A deliberate API change updates that file with
 * `vitest run --project workerd openapi-document -u` and shows up in review as its diff.
 */
import { describe, expect, it } from 'vitest';
import { api } from './helpers.ts';

/** The same JSON value with every object's keys in sorted order (arrays keep theirs: it means something there). */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
  );
}

describe('api > GET /api/openapi.json > the document', () => {
  it('is the committed document, key order aside', async () => {
    const res = await api('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc: unknown = await res.json();
    await expect(`${JSON.stringify(sortedKeys(doc), null, 2)}\n`).toMatchFileSnapshot('./__snapshots__/openapi.json');
  });
});

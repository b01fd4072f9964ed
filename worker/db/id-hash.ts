/**
 * The archive's id index key (migrations/0008_archive.sql, `archive_ids`): two 53-bit hashes of an
 * event id, so a row takes about 20 bytes instead of the id's 40-60. The hash is cyrb53 (a public
 * domain 53-bit string hash: two Math.imul lanes mixed at the end), run with two seeds. Synchronous
 * and about 50 ns an id, so the ingest path pays nothing measurable for it. A new id is taken for
 * an archived one only if both 53-bit values collide with the same archived id (odds in
 * docs/archive.md); the hashes are safe integers, so D1 binds them exactly.
 */

function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The seeds of the two lanes: any two distinct constants; changing them changes every stored key. */
const SEED_1 = 0x51ed270b;
const SEED_2 = 0x2f6b3c9d;

/** The (h1, h2) key of an id in `archive_ids`. */
export function idHash(id: string): [number, number] {
  return [cyrb53(id, SEED_1), cyrb53(id, SEED_2)];
}

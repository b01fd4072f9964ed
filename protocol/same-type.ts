/**
 * A compile-time check that two types are the same, not merely assignable one way: each zod
 * schema of protocol/schemas/ states `true satisfies SameType<z.infer<typeof X>, CoreType>`, so
 * a schema and the hand-written core type it validates cannot drift apart (tsc fails).
 */

/** An object type as the object it makes: `A & B` becomes one object type (distributes over unions). */
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * `true` when A and B are identical types, `false` otherwise (optional vs required, extra keys,
 * wider unions). A top-level intersection counts as the object it makes (`EventStats & {…}`).
 */
export type SameType<A, B> =
  (<T>() => T extends Flat<A> ? 1 : 2) extends <T>() => T extends Flat<B> ? 1 : 2 ? true : false;

/**
 * Compile-time checks of `SameType` itself, run by every `tsc -p` that includes protocol/: if
 * the check ever stopped telling these apart, every schema's "matches its core type" would be
 * vacuous. Nothing here runs.
 */
import type { SameType } from './same-type.ts';

true satisfies SameType<{ a: string } & { b: number }, { a: string; b: number }>;
true satisfies SameType<{ kind: 'x'; n: number } | { kind: 'y' }, { kind: 'y' } | { kind: 'x'; n: number }>;
false satisfies SameType<{ a?: string }, { a: string }>;
false satisfies SameType<{ a: string | null }, { a: string }>;
false satisfies SameType<{ a: string }, { a: string; b?: string }>;
false satisfies SameType<{ a: 'x' | 'y' }, { a: string }>;
false satisfies SameType<{ kind: 'x' } | { kind: 'y' }, { kind: 'x' }>;
false satisfies SameType<{ a: { b: string } }, { a: { b: string; c: number } }>;

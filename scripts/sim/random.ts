/** Seeded randomness for the simulator: one injected `() => number` in [0, 1), and helpers over it. */

/** mulberry32: a small, fast 32-bit PRNG; good enough for simulation, not for secrets. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return function random() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = {
  /** The underlying source, in [0, 1). */
  float: () => number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** A number in [min, max) rounded to `digits` decimals. */
  real(min: number, max: number, digits?: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by relative weight; zero weights are never picked. Returns undefined when all are zero. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T | undefined;
  /** `count` characters from `alphabet`. */
  chars(alphabet: string, count: number): string;
  digits(count: number): string;
};

export function makeRng(random: () => number): Rng {
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  return {
    float: random,
    int,
    real(min, max, digits = 1) {
      const f = 10 ** digits;
      return Math.round((min + random() * (max - min)) * f) / f;
    },
    chance: (p) => random() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(random() * items.length)]!;
    },
    weighted<T>(entries: readonly (readonly [number, T])[]): T | undefined {
      let total = 0;
      for (const [w] of entries) total += Math.max(0, w);
      if (total <= 0) return undefined;
      let r = random() * total;
      for (const [w, value] of entries) {
        if (w <= 0) continue;
        r -= w;
        if (r < 0) return value;
      }
      // Floating-point leftovers: the last positive entry.
      for (let i = entries.length - 1; i >= 0; i--) if (entries[i]![0] > 0) return entries[i]![1];
      return undefined;
    },
    chars(alphabet, count) {
      let s = '';
      for (let i = 0; i < count; i++) s += alphabet[Math.floor(random() * alphabet.length)];
      return s;
    },
    digits(count) {
      let s = '';
      for (let i = 0; i < count; i++) s += String(Math.floor(random() * 10));
      return s;
    },
  };
}

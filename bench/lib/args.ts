/** `npm run bench -- [scenario...] [--rounds N] [--duration S] ...`: parsed once, validated. */

export const SCENARIOS = ['latency', 'ingest', 'fanout', 'idle', 'replay', 'storm'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export const SYSTEMS = ['quaycast', 'peer'] as const;

export type Options = {
  scenarios: ScenarioName[];
  systems: (typeof SYSTEMS)[number][];
  rounds: number;
  /** Overrides of the scenario sizes; undefined = each scenario's default. */
  durationS?: number;
  clients?: number;
  rate?: number;
  events?: number;
  idleS?: number;
  /** Clients offer permessage-deflate (browsers do). */
  deflate: boolean;
  /** Active rules created in Quaycast before the load (bench/stack/rules.ts); 0 = none. */
  rules: number;
  /** Where latest.json / RESULTS.md go; '' = the default bench/results + bench/RESULTS.md. */
  out: string;
};

export const USAGE = `usage: npm run bench -- [${SCENARIOS.join('|')} ...] [--rounds N] [--duration S] [--clients N] [--rate N] [--events N] [--idle S] [--deflate] [--rules N] [--systems quaycast,peer] [--out DIR]`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function positive(flag: string, raw: string | undefined, max: number): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isFinite(n) || n <= 0 || n > max)
    throw new UsageError(`${flag} takes a positive number up to ${max}, got "${raw ?? ''}"`);
  return n;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { scenarios: [], systems: [...SYSTEMS], rounds: 2, deflate: false, rules: 0, out: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i];
    switch (a) {
      case '--rounds':
        o.rounds = Math.round(positive(a, value(), 20));
        break;
      case '--duration':
        o.durationS = positive(a, value(), 3600);
        break;
      case '--clients':
        o.clients = Math.round(positive(a, value(), 20_000));
        break;
      case '--rate':
        o.rate = positive(a, value(), 100_000);
        break;
      case '--events':
        o.events = Math.round(positive(a, value(), 10_000_000));
        break;
      case '--idle':
        o.idleS = positive(a, value(), 3600);
        break;
      case '--deflate':
        o.deflate = true;
        break;
      case '--rules':
        o.rules = Math.round(positive(a, value(), 1000));
        break;
      case '--systems': {
        const list = (value() ?? '').split(',').filter(Boolean);
        if (list.length === 0 || list.some((s) => !(SYSTEMS as readonly string[]).includes(s)))
          throw new UsageError(`--systems takes ${SYSTEMS.join(',')}`);
        o.systems = list as Options['systems'];
        break;
      }
      case '--out':
        o.out = value() ?? '';
        break;
      case '-h':
      case '--help':
        throw new UsageError(USAGE);
      default:
        for (const name of a.split(',')) {
          if (!(SCENARIOS as readonly string[]).includes(name))
            throw new UsageError(`unknown scenario or option "${a}"\n${USAGE}`);
          if (!o.scenarios.includes(name as ScenarioName)) o.scenarios.push(name as ScenarioName);
        }
    }
  }
  if (o.scenarios.length === 0) o.scenarios = [...SCENARIOS];
  return o;
}

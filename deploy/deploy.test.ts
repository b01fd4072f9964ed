/**
 * Checks of the deployment artefacts that no other test runs: the bridge's Dockerfile and
 * systemd unit, the Prometheus alert rules, and wrangler.toml's environments (which must repeat
 * every binding of the top level: wrangler does not inherit them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createMetrics } from '../bridge/src/metrics.ts';
import { deployProblems, dotenv, tomlTable } from '../scripts/deploy-check.ts';
import { DEV_VAPID_PRIVATE_KEY, DEV_VARS_EXAMPLE } from '../worker/secret-policy.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

// ------------------------------------------------------------------------------------------------
// Dockerfile

type Instruction = { keyword: string; args: string; line: number };

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return; // comment lines inside a continuation are ignored too
    if (!pending) start = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = pending + line;
    pending = '';
    const m = /^(\S+)\s*(.*)$/.exec(full)!;
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: start });
  });
  expect(pending, 'a continuation runs past the end of the file').toBe('');
  return out;
}

const DOCKER_KEYWORDS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|CREDENTIAL/i;

/** The relative .ts imports reachable from an entry, and the packages they name. */
function importClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g,
    )) {
      const spec = (m[1] ?? m[2])!;
      if (/^import\s+type\s/.test(m[0].trim())) continue; // erased at run time
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:') && !builtinModules.includes(spec))
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('deploy > bridge.Dockerfile', () => {
  const instructions = parseDockerfile(read('deploy/bridge.Dockerfile'));
  const find = (k: string) => instructions.filter((i) => i.keyword === k);
  const indexOf = (pred: (i: Instruction) => boolean) => instructions.findIndex(pred);

  it('has only known instructions, FROM node:22-slim first', () => {
    expect(instructions.length).toBeGreaterThan(5);
    for (const i of instructions) expect(DOCKER_KEYWORDS.has(i.keyword), `line ${i.line}: ${i.keyword}`).toBe(true);
    expect(instructions[0]).toMatchObject({ keyword: 'FROM', args: 'node:22-slim' });
    expect(find('FROM')).toHaveLength(1);
  });

  it('runs `node bridge/src/main.ts` (exec form) as the last instruction, as a non-root user', () => {
    const cmd = instructions.at(-1)!;
    expect(cmd.keyword).toBe('CMD');
    expect(JSON.parse(cmd.args)).toEqual(['node', 'bridge/src/main.ts']);
    expect(find('ENTRYPOINT')).toHaveLength(0);
    const user = find('USER').at(-1);
    expect(user?.args).toBe('node');
    expect(indexOf((i) => i.keyword === 'USER')).toBeLessThan(instructions.length - 1);
  });

  it('installs production dependencies from the lockfile before copying the sources', () => {
    const copyLock = indexOf((i) => i.keyword === 'COPY' && i.args.includes('package-lock.json'));
    const install = indexOf((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    const copySources = indexOf((i) => i.keyword === 'COPY' && i.args.startsWith('bridge/src/'));
    expect(copyLock).toBeGreaterThan(0);
    expect(instructions[install]!.args).toContain('--omit=dev');
    expect(copyLock).toBeLessThan(install);
    expect(install).toBeLessThan(copySources);
    for (const copy of find('COPY')) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const s of sources) expect(existsSync(path.join(ROOT, s)), `COPY source ${s}`).toBe(true);
    }
  });

  it('bakes no secret into the image: no ENV/ARG/LABEL named like one, no .dev.vars or env file copied', () => {
    for (const i of [...find('ENV'), ...find('ARG'), ...find('LABEL')]) {
      const names = [...i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]!);
      if (i.keyword === 'ARG') names.push(i.args.split('=')[0]!.trim());
      for (const n of names) expect(n, `line ${i.line}`).not.toMatch(SECRET_NAME);
    }
    for (const i of [...find('COPY'), ...find('ADD')]) expect(i.args).not.toMatch(/\.dev\.vars|\.env\b|bridge\.env/);
    expect(find('ADD')).toHaveLength(0);
  });

  it('copies everything the bridge imports, and every package it imports is a production dependency', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const copied = find('COPY')
      .flatMap((c) => c.args.split(/\s+/).slice(0, -1))
      .filter((s) => s.endsWith('/'));
    for (const entry of ['bridge/src/main.ts', 'bridge/src/dlq-cli.ts'].filter((e) => existsSync(path.join(ROOT, e)))) {
      const { files, packages } = importClosure(path.join(ROOT, entry));
      for (const f of files) {
        const rel = path.relative(ROOT, f);
        expect(
          copied.some((dir) => rel.startsWith(dir)),
          `${rel} (imported from ${entry}) is not copied`,
        ).toBe(true);
      }
      expect(packages.size).toBeGreaterThan(0);
      for (const p of packages)
        expect(pkg.dependencies[p], `${p} (imported from ${entry}) must be in dependencies`).toBeDefined();
    }
  });

  it('has a BuildKit ignore file that sends only what the image copies', () => {
    const ignore = read('deploy/bridge.Dockerfile.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    expect(ignore).toEqual(
      expect.arrayContaining(['!package.json', '!package-lock.json', '!protocol/**', '!bridge/src/**']),
    );
  });
});

// ------------------------------------------------------------------------------------------------
// systemd unit

/** Sections → key → values (a key may repeat, e.g. SystemCallFilter). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      expect(sections.has(header[1]!), `section [${header[1]}] twice`).toBe(false);
      current = new Map();
      sections.set(header[1]!, current);
      return;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    expect(kv, `line ${i + 1} is not Key=value: ${line}`).not.toBeNull();
    expect(current, `line ${i + 1} is outside a section`).toBeDefined();
    const values = current!.get(kv![1]!) ?? [];
    values.push(kv![2]!);
    current!.set(kv![1]!, values);
  });
  return sections;
}

/** The directives this unit may use, by section (a typo is an ignored directive in systemd). */
const UNIT_KEYS: Record<string, string[]> = {
  Unit: ['Description', 'Documentation', 'Wants', 'After', 'Requires', 'StartLimitIntervalSec', 'StartLimitBurst'],
  Service: [
    'Type',
    'DynamicUser',
    'User',
    'Group',
    'WorkingDirectory',
    'EnvironmentFile',
    'Environment',
    'ExecStart',
    'Restart',
    'RestartSec',
    'KillSignal',
    'TimeoutStopSec',
    'LimitNOFILE',
    'StandardOutput',
    'StandardError',
    'SyslogIdentifier',
    'NoNewPrivileges',
    'CapabilityBoundingSet',
    'AmbientCapabilities',
    'ProtectSystem',
    'ProtectHome',
    'PrivateTmp',
    'PrivateDevices',
    'ProtectClock',
    'ProtectHostname',
    'ProtectKernelTunables',
    'ProtectKernelModules',
    'ProtectKernelLogs',
    'ProtectControlGroups',
    'ProtectProc',
    'RestrictAddressFamilies',
    'RestrictNamespaces',
    'RestrictRealtime',
    'RestrictSUIDSGID',
    'LockPersonality',
    'SystemCallArchitectures',
    'SystemCallFilter',
    'SystemCallErrorNumber',
    'UMask',
  ],
  Install: ['WantedBy'],
};

describe('deploy > quaycast-bridge.service', () => {
  const unit = parseUnit(read('deploy/quaycast-bridge.service'));
  const one = (section: string, key: string) => {
    const v = unit.get(section)?.get(key);
    expect(v, `[${section}] ${key}`).toHaveLength(1);
    return v![0]!;
  };

  it('has the Unit, Service and Install sections with known directives only', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    for (const [section, keys] of unit)
      for (const key of keys.keys()) expect(UNIT_KEYS[section], `[${section}] ${key}`).toContain(key);
    expect(one('Install', 'WantedBy')).toBe('multi-user.target');
    expect(one('Unit', 'After')).toContain('network-online.target');
  });

  it('starts the bridge with an absolute node path and restarts it always, never giving up', () => {
    const exec = one('Service', 'ExecStart').split(/\s+/);
    expect(path.isAbsolute(exec[0]!)).toBe(true);
    expect(path.basename(exec[0]!)).toBe('node');
    expect(exec.at(-1)).toMatch(/^\/.*\/bridge\/src\/main\.ts$/);
    expect(one('Service', 'Restart')).toBe('always');
    expect(one('Service', 'RestartSec')).toMatch(/^\d+s?$/);
    expect(one('Unit', 'StartLimitIntervalSec')).toBe('0');
    // The bridge exits within 20 s of SIGTERM; systemd must wait longer before SIGKILL.
    expect(one('Service', 'KillSignal')).toBe('SIGTERM');
    expect(Number.parseInt(one('Service', 'TimeoutStopSec'), 10)).toBeGreaterThan(20);
  });

  it('reads its configuration from an absolute EnvironmentFile and has no secret inline', () => {
    expect(path.isAbsolute(one('Service', 'EnvironmentFile').replace(/^-/, ''))).toBe(true);
    for (const env of unit.get('Service')!.get('Environment') ?? []) expect(env).not.toMatch(SECRET_NAME);
  });

  it('runs unprivileged and hardened, without MemoryDenyWriteExecute (V8 needs W+X pages)', () => {
    expect(one('Service', 'DynamicUser')).toBe('yes');
    expect(one('Service', 'NoNewPrivileges')).toBe('yes');
    expect(one('Service', 'ProtectSystem')).toBe('strict');
    expect(one('Service', 'ProtectHome')).toBe('yes');
    expect(one('Service', 'PrivateTmp')).toBe('yes');
    expect(one('Service', 'CapabilityBoundingSet')).toBe('');
    expect(one('Service', 'RestrictAddressFamilies').split(' ').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    expect(unit.get('Service')!.has('MemoryDenyWriteExecute')).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------------
// Prometheus alert rules

type Rule = {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};

describe('deploy > prometheus-alerts.yml', () => {
  const doc = parseYaml(read('deploy/prometheus-alerts.yml')) as { groups: { name: string; rules: Rule[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);
  const operations = read('docs/operations.md');

  it('parses as rule groups with the expected alerts', () => {
    expect(doc.groups.map((g) => g.name)).toEqual(['quaycast-bridge', 'quaycast-worker']);
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'QuaycastBatchLatencyHigh',
        'QuaycastBridgeDown',
        'QuaycastConsumerLagHigh',
        'QuaycastDeadLetterRateHigh',
        'QuaycastDeadLetters',
        'QuaycastPartitionHeadStalled',
        'QuaycastPartitionStalled',
        'QuaycastRetryStorm',
        'QuaycastWorkerDown',
      ].sort(),
    );
  });

  it('gives every alert an expression, a duration, a severity and a runbook that exists in docs/operations.md', () => {
    const anchors = new Set(
      [...operations.matchAll(/^#+\s+(.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .replace(/\s+/g, '-'),
      ),
    );
    for (const r of rules) {
      expect(typeof r.expr, r.alert).toBe('string');
      expect(r.expr.trim().length).toBeGreaterThan(0);
      let depth = 0;
      for (const ch of r.expr) {
        depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
        expect(depth, `${r.alert}: unbalanced parentheses`).toBeGreaterThanOrEqual(0);
      }
      expect(depth, `${r.alert}: unbalanced parentheses`).toBe(0);
      if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smhd]$/);
      expect(['critical', 'warning']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
      const runbook = /docs\/operations\.md#([\w-]+)/.exec(r.annotations?.description ?? '');
      expect(runbook, `${r.alert} names no runbook`).not.toBeNull();
      expect(anchors, `${r.alert}: no heading for #${runbook![1]} in docs/operations.md`).toContain(runbook![1]);
    }
  });

  it('uses only metrics the bridge exports', async () => {
    const exported = new Set(
      [...(await createMetrics({ processMetrics: true }).render()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((m) =>
        m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]!],
      ),
    );
    const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/quaycast_\w+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThan(4);
    for (const name of used) expect(exported, name).toContain(name);
  });
});

// ------------------------------------------------------------------------------------------------
// wrangler.toml environments

type Table = Record<string, string | string[] | boolean>;

/**
 * The small TOML subset wrangler.toml uses: [table] and [[array.of.tables]] headers, and
 * key = "string" | ["strings"] | true/false | number lines. Enough to compare bindings.
 */
function parseWranglerToml(text: string): { tables: Map<string, Table[]> } {
  const tables = new Map<string, Table[]>([['', [{}]]]);
  let current = tables.get('')![0]!;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#[^"]*$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^(\[\[?)([\w.-]+)\]\]?$/.exec(line);
    if (header) {
      const list = tables.get(header[2]!) ?? [];
      if (header[1] === '[') expect(list, `[${header[2]}] declared twice`).toHaveLength(0);
      current = {};
      list.push(current);
      tables.set(header[2]!, list);
      continue;
    }
    const kv = /^([\w-]+)\s*=\s*(.+)$/.exec(line);
    expect(kv, `not a key = value line: ${line}`).not.toBeNull();
    const value = kv![2]!.trim();
    current[kv![1]!] = value.startsWith('[')
      ? (JSON.parse(value) as string[])
      : value === 'true' || value === 'false'
        ? value === 'true'
        : value.startsWith('"')
          ? (JSON.parse(value) as string)
          : value;
  }
  return { tables };
}

describe('deploy > wrangler.toml environments', () => {
  const { tables } = parseWranglerToml(read('wrangler.toml'));
  const envs = [...tables.keys()].flatMap((k) =>
    /^env\.([\w-]+)$/.exec(k)?.[1] ? [/^env\.([\w-]+)$/.exec(k)![1]!] : [],
  );
  const at = (prefix: string, key: string) => tables.get(prefix ? `${prefix}.${key}` : key) ?? [];
  const bindingNames = (prefix: string) => ({
    d1: at(prefix, 'd1_databases')
      .map((t) => t.binding)
      .sort(),
    durableObjects: at(prefix, 'durable_objects.bindings')
      .map((t) => `${t.name}:${t.class_name}`)
      .sort(),
    assets: at(prefix, 'assets').map((t) => t.binding),
    vars: Object.keys(at(prefix, 'vars')[0] ?? {}).sort(),
    kv: at(prefix, 'kv_namespaces')
      .map((t) => t.binding)
      .sort(),
    r2: at(prefix, 'r2_buckets')
      .map((t) => t.binding)
      .sort(),
    queues: at(prefix, 'queues.producers')
      .map((t) => t.binding)
      .sort(),
    services: at(prefix, 'services')
      .map((t) => t.binding)
      .sort(),
    sendEmail: at(prefix, 'send_email')
      .map((t) => t.name)
      .sort(),
  });

  it('defines staging and production', () => {
    expect(envs.sort()).toEqual(['production', 'staging']);
  });

  it.each(['staging', 'production'])('env %s repeats every binding and var of the top level', (name) => {
    const top = bindingNames('');
    expect(top.durableObjects).toContain('ROOMS:Room');
    expect(bindingNames(`env.${name}`)).toEqual(top);
    const assets = at(`env.${name}`, 'assets')[0]!;
    expect(assets).toEqual(at('', 'assets')[0]);
  });

  it.each(['staging', 'production'])('env %s has its own D1 database, a cron trigger and Workers Logs', (name) => {
    const [db] = at(`env.${name}`, 'd1_databases');
    expect(db).toMatchObject({ binding: 'DB', database_name: `quaycast-${name}`, migrations_dir: 'migrations' });
    expect(String(db!.database_id)).toMatch(
      /^(REPLACE_WITH_[A-Z]+_D1_ID|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
    );
    expect(at(`env.${name}`, 'triggers')[0]?.crons).toEqual(['*/15 * * * *']);
    expect(at(`env.${name}`, 'observability')[0]?.enabled).toBe(true);
    expect(Number(at(`env.${name}`, 'vars')[0]?.RETENTION_DAYS)).toBeGreaterThan(0);
    // Durable Object migrations stay at the top level only: environments inherit them whole.
    expect(at(`env.${name}`, 'migrations')).toHaveLength(0);
  });

  it('has a migration for every Durable Object class bound at the top level', () => {
    const migrated = at('', 'migrations').flatMap((m) => [
      ...((m.new_sqlite_classes as string[]) ?? []),
      ...((m.new_classes as string[]) ?? []),
    ]);
    for (const binding of at('', 'durable_objects.bindings')) expect(migrated).toContain(binding.class_name);
  });
});

describe('deploy > scripts/deploy.sh', () => {
  it('refuses an unknown environment and a missing one, naming the known ones', () => {
    const unknown = spawnSync('bash', [path.join(ROOT, 'scripts/deploy.sh'), 'prod'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown environment "prod"; wrangler.toml defines: production staging');
    const none = spawnSync('bash', [path.join(ROOT, 'scripts/deploy.sh')], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('name the environment to deploy');
  });
});

describe('deploy > refuses what the Worker would refuse (scripts/deploy-check.ts)', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'quaycast-deploy-'));
  const file = (name: string, text: string) => {
    const f = path.join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const strong = `JWT_SECRET=${'j'.repeat(48)}\nINGEST_TOKEN=${'i'.repeat(48)}\n`;

  it('refuses `--dry-run --secrets-file` with the published dev secrets, before building anything', () => {
    const r = spawnSync(
      'bash',
      [
        path.join(ROOT, 'scripts/deploy.sh'),
        'production',
        '--dry-run',
        '--secrets-file',
        file('dev.env', read('.dev.vars.example')),
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'refused: secrets file: JWT_SECRET is a published development value (from .dev.vars.example)',
    );
    expect(r.stderr).toContain('refused: secrets file: INGEST_TOKEN is a published development value');
    expect(r.stderr).toContain('env production would fail closed');
    expect(r.stdout).not.toContain('type-checking'); // stopped before the build
    for (const v of Object.values(DEV_VARS_EXAMPLE)) expect(r.stdout + r.stderr).not.toContain(v);
  });

  it('refuses a short secret in the file for staging too', () => {
    const r = spawnSync(
      'bash',
      [
        path.join(ROOT, 'scripts/deploy.sh'),
        'staging',
        '--dry-run',
        `--secrets-file=${file('short.env', `JWT_SECRET=${'x'.repeat(31)}\nINGEST_TOKEN=${'i'.repeat(40)}\n`)}`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('JWT_SECRET is 31 bytes long; at least 32 are required');
  });

  it('accepts wrangler.toml’s staging and production vars and a strong secrets file', () => {
    for (const env of ['staging', 'production']) {
      const r = spawnSync(
        process.execPath,
        [path.join(ROOT, 'scripts/deploy-check.ts'), env, '--secrets-file', file('strong.env', strong)],
        { encoding: 'utf8' },
      );
      expect(r.stderr).toBe('');
      expect(r.status, env).toBe(0);
    }
  });

  it('refuses a config whose env says development, or keeps a secret as a plain var', () => {
    const config = file(
      'wrangler.toml',
      [
        '[env.production]',
        'name = "x"',
        '',
        '[env.production.vars]',
        'ENVIRONMENT = "development"',
        `JWT_SECRET = "${'s'.repeat(40)}"`,
        'JWT_MAX_LIFETIME_S = "1 day"',
        '',
      ].join('\n'),
    );
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'scripts/deploy-check.ts'), 'production', '--config', config],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ENVIRONMENT is "development": it must be "staging" or "production"');
    expect(r.stderr).toContain('sets JWT_SECRET as a plain var');
    expect(r.stderr).toContain('JWT_MAX_LIFETIME_S must be a positive integer');
  });

  it('judges the vars and secrets alone (unit): a missing ENVIRONMENT, unknown secret names, the *_PREVIOUS ones', () => {
    expect(deployProblems('staging', {}, undefined)).toEqual([
      '[env.staging.vars] ENVIRONMENT is not set: it must be "staging" or "production" (development accepts published secrets)',
    ]);
    expect(deployProblems('staging', undefined, undefined)).toEqual(['wrangler.toml has no [env.staging.vars]']);
    expect(
      deployProblems(
        'production',
        { ENVIRONMENT: 'production' },
        { ...dotenv(strong), JWT_SECRET_PREVIOUS: 'old', TYPO_SECRET: 'x' },
      ),
    ).toEqual([
      'the secrets file sets names this Worker does not read: TYPO_SECRET',
      'secrets file: JWT_SECRET_PREVIOUS is 3 bytes long; at least 32 are required',
    ]);
    expect(
      deployProblems('production', tomlTable(read('wrangler.toml'), 'env.production.vars'), dotenv(strong)),
    ).toEqual([]);
  });

  it('takes a VAPID private key in the secrets file, never as a plain var nor the published development one', () => {
    const vars = { ENVIRONMENT: 'production' };
    expect(deployProblems('production', vars, { ...dotenv(strong), VAPID_PRIVATE_KEY: 'A'.repeat(43) })).toEqual([]);
    expect(deployProblems('production', vars, { ...dotenv(strong), VAPID_PRIVATE_KEY: DEV_VAPID_PRIVATE_KEY })).toEqual(
      [
        'secrets file: VAPID_PRIVATE_KEY is the published development value (from .dev.vars.example); make a pair with scripts/vapid-keys.ts',
      ],
    );
    expect(deployProblems('production', { ...vars, VAPID_PRIVATE_KEY: 'A'.repeat(43) }, undefined)[0]).toContain(
      'sets VAPID_PRIVATE_KEY as a plain var',
    );
  });
});

/** The Worker's configuration, read once per environment object and typed; nothing else reads bindings ad hoc. */
export type Config = {
  jwtSecret: string;
  ingestToken: string;
  corsOrigins: readonly string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
};

const cache = new WeakMap<object, Config>();

export function getConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    const vars = env as unknown as Record<string, string | undefined>;
    const level = vars.LOG_LEVEL;
    config = {
      jwtSecret: vars.JWT_SECRET ?? '',
      ingestToken: vars.INGEST_TOKEN ?? '',
      corsOrigins: (vars.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      logLevel: level === 'debug' || level === 'warn' || level === 'error' ? level : 'info',
    };
    cache.set(env, config);
  }
  return config;
}

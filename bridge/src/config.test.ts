import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseKafkaConfig, parseTopics, type BridgeConfig } from './config.ts';

const minimal = { INGEST_TOKEN: 'token-1' };

/** parseConfig's error for env, which the test insists exists. */
function errorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('bridge > parseConfig', () => {
  it('fills every default when only INGEST_TOKEN is set', () => {
    expect(parseConfig(minimal)).toEqual({
      brokers: ['127.0.0.1:9092'],
      clientId: 'quaycast-bridge',
      groupId: 'container-tracking-group',
      topics: ['port-events', 'container-events'],
      workerUrl: 'http://127.0.0.1:8787',
      ingestToken: 'token-1',
      batchMaxMessages: 500,
      batchMaxBytes: 2 * 1024 * 1024,
      batchMaxAgeMs: 5,
      partitionsConcurrently: 3,
      sessionTimeoutMs: 30_000,
      requestTimeoutMs: 10_000,
      retryInitialMs: 200,
      retryMaxMs: 10_000,
      forwardWaitMs: 1000,
      isolateAfterAttempts: 3,
      isolateConfirmTimeoutMs: 30_000,
      stallThresholdMs: 60_000,
      statusIntervalMs: 30_000,
      metricsHost: '127.0.0.1',
      metricsPort: 9464,
      outboxIntervalMs: 250,
      outboxWaitS: 30,
      outboxEnabled: true,
      outboxContainerTopic: 'container-events',
      outboxPortTopic: 'port-events',
      ssl: false,
      sasl: undefined,
      logLevel: 'info',
    } satisfies BridgeConfig);
  });

  it('reads every variable', () => {
    const config = parseConfig({
      KAFKA_BROKERS: 'k1:9092, k2:9092 ,,k3:9093',
      KAFKA_CLIENT_ID: 'bridge-7',
      KAFKA_GROUP_ID: 'g',
      KAFKA_TOPICS: 'a,b',
      WORKER_URL: 'https://quaycast.example.com/',
      INGEST_TOKEN: '  secret  ',
      BATCH_MAX_MESSAGES: '1000',
      BATCH_MAX_BYTES: '1024',
      BATCH_MAX_AGE_MS: '0',
      PARTITIONS_CONCURRENTLY: '64',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      WORKER_TIMEOUT_MS: '100',
      RETRY_INITIAL_MS: '1',
      RETRY_MAX_MS: '300000',
      FORWARD_WAIT_MS: '250',
      ISOLATE_AFTER_ATTEMPTS: '5',
      ISOLATE_CONFIRM_TIMEOUT_MS: '45000',
      STALL_THRESHOLD_MS: '2000',
      STATUS_INTERVAL_MS: '1000',
      METRICS_HOST: '0.0.0.0',
      METRICS_PORT: '0',
      OUTBOX_INTERVAL_MS: '10',
      OUTBOX_WAIT_S: '0',
      OUTBOX_ENABLED: 'false',
      OUTBOX_CONTAINER_TOPIC: 'prod.container-events',
      OUTBOX_PORT_TOPIC: 'prod.port-events',
      KAFKA_SSL: 'true',
      KAFKA_ALLOW_PLAINTEXT_SASL: 'false',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      LOG_LEVEL: 'debug',
    });
    expect(config).toEqual({
      brokers: ['k1:9092', 'k2:9092', 'k3:9093'],
      clientId: 'bridge-7',
      groupId: 'g',
      topics: ['a', 'b'],
      workerUrl: 'https://quaycast.example.com',
      ingestToken: 'secret',
      batchMaxMessages: 1000,
      batchMaxBytes: 1024,
      batchMaxAgeMs: 0,
      partitionsConcurrently: 64,
      sessionTimeoutMs: 6000,
      requestTimeoutMs: 100,
      retryInitialMs: 1,
      retryMaxMs: 300_000,
      forwardWaitMs: 250,
      isolateAfterAttempts: 5,
      isolateConfirmTimeoutMs: 45_000,
      stallThresholdMs: 2000,
      statusIntervalMs: 1000,
      metricsHost: '0.0.0.0',
      metricsPort: 0,
      outboxIntervalMs: 10,
      outboxWaitS: 0,
      outboxEnabled: false,
      outboxContainerTopic: 'prod.container-events',
      outboxPortTopic: 'prod.port-events',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      logLevel: 'debug',
    } satisfies BridgeConfig);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['TRUE', true],
    ['false', false],
    ['0', false],
  ])('reads KAFKA_SSL=%s as %s', (value, expected) => {
    expect(parseConfig({ ...minimal, KAFKA_SSL: value }).ssl).toBe(expected);
  });

  it('refuses a KAFKA_SSL that is not a boolean (a typo must not mean plaintext)', () => {
    expect(errorOf({ ...minimal, KAFKA_SSL: 'yes' }).message).toBe('KAFKA_SSL must be true or false, got "yes"');
  });

  it('rejects an OUTBOX_ENABLED that is not a boolean, naming it', () => {
    expect(errorOf({ ...minimal, OUTBOX_ENABLED: 'maybe' }).message).toContain('OUTBOX_ENABLED');
  });

  it('parses the Kafka connection alone without INGEST_TOKEN (for the DLQ CLI)', () => {
    expect(parseKafkaConfig({ KAFKA_BROKERS: 'k1:1,k2:2' })).toEqual({
      brokers: ['k1:1', 'k2:2'],
      clientId: 'quaycast-bridge',
      ssl: false,
      sasl: undefined,
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])('accepts SASL mechanism %s over TLS', (mechanism) => {
    expect(
      parseConfig({
        ...minimal,
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }).sasl?.mechanism,
    ).toBe(mechanism);
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])(
    'refuses SASL %s without TLS unless KAFKA_ALLOW_PLAINTEXT_SASL=true',
    (mechanism) => {
      const sasl = { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
      for (const env of [
        { ...minimal, ...sasl },
        { ...minimal, ...sasl, KAFKA_SSL: 'false' },
        { ...minimal, ...sasl, KAFKA_ALLOW_PLAINTEXT_SASL: 'false' },
      ]) {
        const err = errorOf(env);
        expect(err.message).toMatch(/^KAFKA_SASL_MECHANISM is set without KAFKA_SSL=true/);
        expect(err.message).toContain('KAFKA_ALLOW_PLAINTEXT_SASL=true');
        expect(err.message).not.toContain('p"'); // never the password
      }
      expect(parseConfig({ ...minimal, ...sasl, KAFKA_ALLOW_PLAINTEXT_SASL: 'true' })).toMatchObject({
        ssl: false,
        sasl: { mechanism, username: 'u', password: 'p' },
      });
      expect(() => parseKafkaConfig(sasl)).toThrow(/KAFKA_SSL=true/); // the DLQ CLI too
    },
  );

  it('refuses a KAFKA_ALLOW_PLAINTEXT_SASL that is not a boolean', () => {
    expect(errorOf({ ...minimal, KAFKA_ALLOW_PLAINTEXT_SASL: 'please' }).message).toContain(
      'KAFKA_ALLOW_PLAINTEXT_SASL',
    );
  });

  it.each([
    'http://127.0.0.1:8787',
    'http://127.10.20.30:8787',
    'http://127.1:8787', // URL reads it as 127.0.0.1
    'http://localhost:8787',
    'http://LOCALHOST:8787',
    'http://[::1]:8787',
    'https://quaycast.example.com',
    'https://quaycast.example.com/base/',
    'https://10.0.0.5:8443',
  ])('accepts WORKER_URL %s', (url) => {
    expect(parseConfig({ ...minimal, WORKER_URL: url }).workerUrl).toBe(url.replace(/\/+$/, ''));
  });

  it.each<[string, string, RegExp]>([
    ['plain http to another host', 'http://quaycast.example.com', /must use https unless it is a loopback address/],
    ['plain http to a private address', 'http://10.0.0.5:8787', /must use https/],
    ['plain http to 0.0.0.0 (not loopback)', 'http://0.0.0.0:8787', /must use https/],
    ['plain http to a name that merely starts like one', 'http://127.0.0.1.example.com', /must use https/],
    ['plain http to localhost. with a dot', 'http://localhost.example.com:8787', /must use https/],
    ['a user and password', 'https://bridge:secret@quaycast.example.com', /must not carry a user name or password/],
    ['a query', 'https://quaycast.example.com/?x=1', /must not have a query or fragment/],
    ['a fragment', 'https://quaycast.example.com/#x', /must not have a query or fragment/],
  ])('refuses WORKER_URL with %s, naming the variable', (_label, url, message) => {
    const err = errorOf({ ...minimal, WORKER_URL: url });
    expect(err.message.startsWith('WORKER_URL ')).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('secret');
  });

  it('property: any WORKER_URL is refused naming the variable, or is https, or plain http to a loopback host', () => {
    const hosts = fc.oneof(
      fc.domain(),
      fc.ipV4(),
      fc.ipV6().map((h) => `[${h}]`),
      fc.constantFrom('localhost', '127.0.0.1', '[::1]', '127.1', '0x7f.1', 'localhost.', '[::ffff:127.0.0.1]'),
    );
    const urls = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('http', 'https', 'HTTP', 'ftp', 'ws'),
          fc.constantFrom('://', ':', ':///'),
          fc.option(fc.constantFrom('u:p@', 'u@'), { nil: '' }),
          hosts,
          fc.option(
            fc.integer({ min: 0, max: 70_000 }).map((p) => `:${p}`),
            { nil: '' },
          ),
          fc.webPath(),
          fc.option(fc.constantFrom('?q', '#f'), { nil: '' }),
        )
        .map((parts) => parts.join('')),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string(),
    );
    fc.assert(
      fc.property(urls, (raw) => {
        let workerUrl: string;
        try {
          workerUrl = parseConfig({ ...minimal, WORKER_URL: raw }).workerUrl;
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as Error).message.startsWith('WORKER_URL ')).toBe(true);
          return;
        }
        const url = new URL(workerUrl);
        expect(url.username + url.password + url.search + url.hash).toBe('');
        if (url.protocol !== 'https:') {
          expect(url.protocol).toBe('http:');
          expect(['localhost', '[::1]'].includes(url.hostname) || /^127\./.test(url.hostname)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads KAFKA_TOPICS alone for the DLQ CLI', () => {
    expect(parseTopics({ KAFKA_TOPICS: ' a , b ' })).toEqual(['a', 'b']);
    expect(parseTopics({})).toEqual(['port-events', 'container-events']);
  });

  it.each([
    ['an empty value', ''],
    ['blank text', '   '],
  ])('uses the default for %s', (_label, value) => {
    const config = parseConfig({ ...minimal, KAFKA_TOPICS: value, BATCH_MAX_MESSAGES: value, WORKER_URL: value });
    expect(config.topics).toEqual(['port-events', 'container-events']);
    expect(config.batchMaxMessages).toBe(500);
    expect(config.workerUrl).toBe('http://127.0.0.1:8787');
  });

  it.each<[string, string, Record<string, string | undefined>]>([
    ['INGEST_TOKEN missing', 'INGEST_TOKEN', {}],
    ['INGEST_TOKEN blank', 'INGEST_TOKEN', { INGEST_TOKEN: '  ' }],
    ['a non-numeric batch size', 'BATCH_MAX_MESSAGES', { ...minimal, BATCH_MAX_MESSAGES: 'lots' }],
    ['a batch size above the ingest limit', 'BATCH_MAX_MESSAGES', { ...minimal, BATCH_MAX_MESSAGES: '1001' }],
    ['a zero batch size', 'BATCH_MAX_MESSAGES', { ...minimal, BATCH_MAX_MESSAGES: '0' }],
    ['a fractional batch size', 'BATCH_MAX_MESSAGES', { ...minimal, BATCH_MAX_MESSAGES: '2.5' }],
    ['batch bytes below 1 KiB', 'BATCH_MAX_BYTES', { ...minimal, BATCH_MAX_BYTES: '100' }],
    ['batch bytes above 3 MiB', 'BATCH_MAX_BYTES', { ...minimal, BATCH_MAX_BYTES: String(3 * 1024 * 1024 + 1) }],
    ['a negative batch age', 'BATCH_MAX_AGE_MS', { ...minimal, BATCH_MAX_AGE_MS: '-1' }],
    ['too many concurrent partitions', 'PARTITIONS_CONCURRENTLY', { ...minimal, PARTITIONS_CONCURRENTLY: '65' }],
    [
      'a session timeout below the broker minimum',
      'KAFKA_SESSION_TIMEOUT_MS',
      { ...minimal, KAFKA_SESSION_TIMEOUT_MS: '5999' },
    ],
    ['a too-short Worker timeout', 'WORKER_TIMEOUT_MS', { ...minimal, WORKER_TIMEOUT_MS: '99' }],
    ['a zero retry delay', 'RETRY_INITIAL_MS', { ...minimal, RETRY_INITIAL_MS: '0' }],
    ['a huge retry cap', 'RETRY_MAX_MS', { ...minimal, RETRY_MAX_MS: '300001' }],
    ['a forward wait below 10 ms', 'FORWARD_WAIT_MS', { ...minimal, FORWARD_WAIT_MS: '9' }],
    [
      'isolation after a single attempt (it could race a recovery)',
      'ISOLATE_AFTER_ATTEMPTS',
      { ...minimal, ISOLATE_AFTER_ATTEMPTS: '1' },
    ],
    ['isolation after too many attempts', 'ISOLATE_AFTER_ATTEMPTS', { ...minimal, ISOLATE_AFTER_ATTEMPTS: '101' }],
    ['a stall threshold below a second', 'STALL_THRESHOLD_MS', { ...minimal, STALL_THRESHOLD_MS: '999' }],
    [
      'a status interval below the report schema minimum',
      'STATUS_INTERVAL_MS',
      { ...minimal, STATUS_INTERVAL_MS: '999' },
    ],
    ['a status interval above an hour', 'STATUS_INTERVAL_MS', { ...minimal, STATUS_INTERVAL_MS: '3600001' }],
    ['a port out of range', 'METRICS_PORT', { ...minimal, METRICS_PORT: '65536' }],
    ['a port with units', 'METRICS_PORT', { ...minimal, METRICS_PORT: '9464tcp' }],
    ['an outbox interval too short', 'OUTBOX_INTERVAL_MS', { ...minimal, OUTBOX_INTERVAL_MS: '9' }],
    ['an outbox wait beyond the Worker bound', 'OUTBOX_WAIT_S', { ...minimal, OUTBOX_WAIT_S: '31' }],
    ['a relative Worker URL', 'WORKER_URL', { ...minimal, WORKER_URL: '/internal' }],
    ['a Worker URL without a scheme', 'WORKER_URL', { ...minimal, WORKER_URL: 'localhost:8787' }],
    ['a Worker URL with another scheme', 'WORKER_URL', { ...minimal, WORKER_URL: 'ftp://worker.example.com' }],
    ['an unknown SASL mechanism', 'KAFKA_SASL_MECHANISM', { ...minimal, KAFKA_SASL_MECHANISM: 'gssapi' }],
    [
      'SASL without a username',
      'KAFKA_SASL_USERNAME',
      { ...minimal, KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'p' },
    ],
    [
      'SASL without a password',
      'KAFKA_SASL_PASSWORD',
      { ...minimal, KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' },
    ],
    ['an unknown log level', 'LOG_LEVEL', { ...minimal, LOG_LEVEL: 'verbose' }],
    ['topics that are only commas', 'KAFKA_TOPICS', { ...minimal, KAFKA_TOPICS: ' , ,' }],
    ['brokers that are only commas', 'KAFKA_BROKERS', { ...minimal, KAFKA_BROKERS: ',' }],
  ])('fails fast on %s, naming %s', (_label, variable, env) => {
    const err = errorOf(env);
    expect(err.name).toBe('ConfigError');
    expect(err.message.startsWith(`${variable} `)).toBe(true);
  });

  it('quotes the bad value in the message', () => {
    expect(errorOf({ ...minimal, BATCH_MAX_MESSAGES: 'lots' }).message).toBe(
      'BATCH_MAX_MESSAGES must be an integer from 1 to 1000, got "lots"',
    );
  });

  it('reads nothing but the object it is given', () => {
    const before = process.env.INGEST_TOKEN;
    process.env.INGEST_TOKEN = 'from-process-env';
    try {
      expect(() => parseConfig({})).toThrow(ConfigError);
    } finally {
      if (before === undefined) delete process.env.INGEST_TOKEN;
      else process.env.INGEST_TOKEN = before;
    }
  });
});

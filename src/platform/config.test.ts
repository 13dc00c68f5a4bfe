import { describe, expect, test } from 'vitest';
import { loadConfig, SETTINGS, settingsSnapshot } from './config.ts';
import { ConfigError } from './errors.ts';

describe('loadConfig', () => {
  test('default: the embedded defaults with nothing set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      dataDir: './.cb-data',
      databaseUrl: undefined,
      redisUrl: undefined,
      rpcEndpoints: [],
      logLevel: 'info',
      logPretty: false,
      dbSlowQueryMs: 200,
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.rpcEndpoints)).toBe(true);
  });

  test('args: values parsed and named RPC endpoints', () => {
    const c = loadConfig({
      CB_PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/cb',
      REDIS_URL: 'redis://127.0.0.1:6379',
      RPC_URLS: 'main=https://rpc.example/key123, http://127.0.0.1:8545',
      CB_LOG_PRETTY: 'yes',
      CB_CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(c.port).toBe(8080);
    expect(c.rpcEndpoints).toEqual([
      { name: 'main', url: 'https://rpc.example/key123' },
      { name: 'rpc2', url: 'http://127.0.0.1:8545' },
    ]);
    expect(c.logPretty).toBe(true);
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  test('args: CB_EXPLORER_URL — unset by default, kept without its trailing slash, http(s) only', () => {
    expect(loadConfig({}).explorerUrl).toBeUndefined();
    expect(loadConfig({ CB_EXPLORER_URL: 'https://sepolia.etherscan.io/' }).explorerUrl).toBe(
      'https://sepolia.etherscan.io',
    );
    expect(() => loadConfig({ CB_EXPLORER_URL: 'etherscan.io' })).toThrow(
      'CB_EXPLORER_URL: is not a valid URL',
    );
    expect(() => loadConfig({ CB_EXPLORER_URL: 'ftp://explorer.example' })).toThrow(
      'CB_EXPLORER_URL: must use http: or https:, got ftp:',
    );
  });

  test('args: CB_TRUST_PROXY — nobody by default, a hop count, or proxy addresses and CIDR ranges; never everybody', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ CB_TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ CB_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ CB_TRUST_PROXY: '10.0.0.0/8, 192.168.1.7, fd00::/8, ::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      '::1',
    ]);
    const problem = (value: string) => {
      try {
        loadConfig({ CB_TRUST_PROXY: value });
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.setting}: ${i.message}`).join('\n');
      }
      return 'accepted';
    };
    expect(problem('true')).toMatch(/^CB_TRUST_PROXY: must name the proxies .* any client pick its own IP$/);
    expect(problem('10.0.0.0/33')).toBe(
      'CB_TRUST_PROXY: "10.0.0.0/33" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)',
    );
    expect(problem('proxy.internal')).toMatch(/"proxy.internal" is not an IP address/);
    expect(problem('11')).toMatch(/must be between 1 and 10, got 11/);
  });

  test('args: CB_REDIS_KEY_PREFIX — cb: by default (the keys cb always used); a clear refusal of what keys cannot hold well', () => {
    expect(loadConfig({}).redisKeyPrefix).toBe('cb:');
    expect(loadConfig({ CB_REDIS_KEY_PREFIX: ' cb-staging.eu:community_2: ' }).redisKeyPrefix).toBe(
      'cb-staging.eu:community_2:',
    );
    const problem = (value: string) => {
      try {
        loadConfig({ CB_REDIS_KEY_PREFIX: value });
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.setting}: ${i.message}`).join('\n');
      }
      return 'accepted';
    };
    expect(problem('staging')).toBe(
      'CB_REDIS_KEY_PREFIX: must end with ":" (each component adds its own part after it), e.g. "staging:"',
    );
    for (const bad of ['cb staging:', 'cb*:', 'cb?:', 'cb[1]:', 'cb\\:', 'cb"x:', 'cb/x:', 'cbé:'])
      expect(problem(bad)).toBe(
        `CB_REDIS_KEY_PREFIX: may hold only letters, digits and _ - . : (no spaces, quotes or the * ? [ ] \\ of key patterns), got "${bad}"`,
      );
    expect(problem('   ')).toBe('CB_REDIS_KEY_PREFIX: must not be blank (unset, it is cb:)');
    expect(problem(`${'a'.repeat(64)}:`)).toBe(
      'CB_REDIS_KEY_PREFIX: must be at most 64 characters (it starts every key), got 65',
    );
    expect(problem(`${'a'.repeat(63)}:`)).toBe('accepted');
  });

  test('args: the log tiers — off by default; each needs the one before, a directory of its own, and whole days', () => {
    expect(loadConfig({})).toMatchObject({
      logDir: undefined,
      logRetentionDays: 7,
      logArchiveDir: undefined,
      logArchiveDays: 30,
      logColdDir: undefined,
    });
    expect(
      loadConfig({
        CB_LOG_DIR: '/var/log/cb',
        CB_LOG_ARCHIVE_DIR: '/var/log/cb/archive',
        CB_LOG_ARCHIVE_DAYS: '23',
        CB_LOG_COLD_DIR: '/mnt/bucket/cb-logs',
      }),
    ).toMatchObject({
      logArchiveDir: '/var/log/cb/archive',
      logArchiveDays: 23,
      logColdDir: '/mnt/bucket/cb-logs',
    });
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.setting}: ${i.message}`).join('\n');
      }
      return 'accepted';
    };
    expect(problem({ CB_LOG_ARCHIVE_DIR: '/a' })).toBe(
      'CB_LOG_ARCHIVE_DIR: needs CB_LOG_DIR (the tier it takes files from)',
    );
    expect(problem({ CB_LOG_DIR: '/l', CB_LOG_COLD_DIR: '/c' })).toBe(
      'CB_LOG_COLD_DIR: needs CB_LOG_ARCHIVE_DIR (the tier it takes files from)',
    );
    // An archive expiring into itself would delete what it had just moved.
    expect(problem({ CB_LOG_DIR: '/l', CB_LOG_ARCHIVE_DIR: '/a/', CB_LOG_COLD_DIR: '/a/./' })).toBe(
      "CB_LOG_COLD_DIR: must be a directory of its own, not CB_LOG_ARCHIVE_DIR's",
    );
    expect(problem({ CB_LOG_DIR: 'logs', CB_LOG_ARCHIVE_DIR: './logs' })).toBe(
      "CB_LOG_ARCHIVE_DIR: must be a directory of its own, not CB_LOG_DIR's",
    );
    expect(problem({ CB_LOG_DIR: '/l', CB_LOG_ARCHIVE_DIR: '/a', CB_LOG_ARCHIVE_DAYS: '0' })).toBe(
      'CB_LOG_ARCHIVE_DAYS: must be between 1 and 36500, got 0',
    );
    expect(problem({ CB_LOG_DIR: '/l', CB_LOG_RETENTION_DAYS: '0' })).toBe(
      'CB_LOG_RETENTION_DAYS: must be between 1 and 3650, got 0',
    );
    expect(problem({ CB_LOG_ARCHIVE_DAYS: 'a month' })).toBe(
      'CB_LOG_ARCHIVE_DAYS: must be a whole number, got "a month"',
    );
  });

  test('error: every bad setting is reported at once, each by name', () => {
    let error: unknown;
    try {
      loadConfig({
        CB_PORT: 'eighty',
        CB_LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        RPC_URLS: 'a=ftp://x',
        CB_DB_POOL_MAX: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((i) => i.setting);
    expect(issues).toEqual(['CB_PORT', 'DATABASE_URL', 'RPC_URLS', 'CB_LOG_LEVEL', 'CB_DB_POOL_MAX']);
    expect((error as ConfigError).message).toContain('CB_PORT: must be a whole number, got "eighty"');
  });

  test('behavior: every setting has an env var, a default text and a description', () => {
    const envs = SETTINGS.map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const s of SETTINGS) {
      expect(s.env).toMatch(/^(CB_[A-Z_]+|DATABASE_URL|REDIS_URL|RPC_URLS)$/);
      expect(s.description.length).toBeGreaterThan(10);
    }
  });
});

describe('settingsSnapshot', () => {
  test('behavior: secrets never show; URLs keep scheme and host only; unset settings show their default', () => {
    const secrets: Record<string, string> = {
      CB_MINTER_PRIVATE_KEY: `0x${'ab'.repeat(32)}`,
      CB_EXECUTOR_PRIVATE_KEY: `0x${'cd'.repeat(32)}`,
      CB_SESSION_SECRET: 'session-secret-session-secret-0123',
      CB_ALERT_WEBHOOK_TOKEN: 'webhook-token-0123456789',
      CB_SLACK_WEBHOOK_URLS: 'default=https://hooks.slack.com/services/T000/B000/XXXXSECRET',
      CB_TWILIO_AUTH_TOKEN: 'twilio-token-0123',
      DATABASE_URL: 'postgres://cb:dbpassword@db.internal:5432/cb',
      REDIS_URL: 'redis://:redispassword@cache:6379/0',
      RPC_URLS:
        'main=https://eth-mainnet.example.org/v2/alchemykey123,backup=https://rpc.example.net?apikey=k1',
      CB_SMTP_URL: 'smtp://mailer:smtppassword@mail.example.org:587',
      CB_PORT: '8080',
    };
    const snapshot = settingsSnapshot(secrets);
    const text = JSON.stringify(snapshot);
    for (const leaked of [
      'ab'.repeat(32),
      'cd'.repeat(32),
      'session-secret',
      'webhook-token',
      'XXXXSECRET',
      'twilio-token',
      'dbpassword',
      'redispassword',
      'alchemykey123',
      'k1',
      'smtppassword',
      'mailer',
    ])
      expect(text).not.toContain(leaked);
    const value = (env: string) => snapshot.find((s) => s.env === env);
    expect(value('CB_PORT')).toEqual({ env: 'CB_PORT', value: '8080', source: 'env' });
    expect(value('DATABASE_URL')!.value).toBe('postgres://db.internal:5432/…');
    expect(value('RPC_URLS')!.value).toBe(
      'main=https://eth-mainnet.example.org/…,backup=https://rpc.example.net/…',
    );
    expect(value('CB_SESSION_SECRET')!.value).toBe('[REDACTED]');
    expect(value('CB_DATA_DIR')).toEqual({ env: 'CB_DATA_DIR', value: './.cb-data', source: 'default' });
    expect(snapshot).toHaveLength(SETTINGS.length);
  });

  test('edge: user names and passwords with @, : or , never show', () => {
    const snapshot = settingsSnapshot({
      CB_SMTP_URL: 'smtp://alerts@example.com:S3cretPw@smtp.example.com:587',
      REDIS_URL: 'redis://:p@ssword@redis',
      DATABASE_URL: 'postgres://cb:pa,ss@db/cb',
      CB_PUBLIC_URL: 'https://cb.example.org',
    });
    const text = JSON.stringify(snapshot);
    for (const leaked of ['S3cretPw', 'alerts@', 'ssword', 'pa,ss', ',ss@', 'ss@db'])
      expect(text).not.toContain(leaked);
    const value = (env: string) => snapshot.find((s) => s.env === env)!.value;
    expect(value('CB_SMTP_URL')).toBe('smtp://smtp.example.com:587');
    expect(value('REDIS_URL')).toBe('redis://redis');
    expect(value('DATABASE_URL')).toBe('[REDACTED],[REDACTED]');
    expect(value('CB_PUBLIC_URL')).toBe('https://cb.example.org');
  });

  test('behavior: every setting described as never logged is a secret of the snapshot', () => {
    const unmarked = SETTINGS.filter(
      (s) => /never logged/.test(s.description) && !/password never logged/.test(s.description) && !s.secret,
    ).map((s) => s.env);
    expect(unmarked).toEqual([]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetadataError } from '@outrigger/components-api';
import { parseConnectionString } from './connection-string.js';
import { readPoolSettings, postgresConnectionFields } from './pool-settings.js';

describe('PostgreSQL connection strings', () => {
  it('reads the libpq key/value form Dapr documents', () => {
    assert.deepEqual(parseConnectionString('host=localhost user=postgres password=example port=5432 connect_timeout=10 database=my_dapr'), {
      host: 'localhost', user: 'postgres', password: 'example', port: 5432, connectTimeoutSeconds: 10, database: 'my_dapr',
    });
  });

  it('reads quoted values, escapes, spaces around = and dbname', () => {
    assert.deepEqual(parseConnectionString(`host = db.example.com  dbname='my db' password='it\\'s \\\\ secret' user=a\\ b`), {
      host: 'db.example.com', database: 'my db', password: "it's \\ secret", user: 'a b',
    });
  });

  it('reads the URL form with percent-encoding, IPv6 hosts and query parameters', () => {
    assert.deepEqual(parseConnectionString('postgres://us%40er:p%3Ass@[::1]:6543/my%20db?sslmode=disable&application_name=app'), {
      host: '::1', port: 6543, user: 'us@er', password: 'p:ss', database: 'my db', sslmode: 'disable', applicationName: 'app',
    });
    assert.equal(parseConnectionString('postgresql://localhost/test').database, 'test');
  });

  it('passes unknown keys on as server settings, as pgx does', () => {
    assert.equal(parseConnectionString('host=h search_path=app TimeZone=UTC').options, '-c search_path=app -c TimeZone=UTC');
    assert.equal(parseConnectionString('host=h pool_max_conns=7').poolMaxConns, 7);
  });

  it('lets the separate metadata fields override the string', () => {
    assert.deepEqual(parseConnectionString('host=a port=1 user=u database=d', { host: 'b', port: '2', user: 'v', database: 'e', password: 'p' }), {
      host: 'b', port: 2, user: 'v', database: 'e', password: 'p',
    });
  });

  it('refuses malformed strings with a MetadataError on connectionString', () => {
    for (const bad of ['just-a-host', 'host=a port=x', "password='open", 'host=a,b', 'postgres://h1:1,h2:2/db']) {
      assert.throws(() => parseConnectionString(bad), (error: unknown) => error instanceof MetadataError && error.field === 'connectionString', bad);
    }
  });

  it('maps timeout, maxConns and sslmode onto the pool', () => {
    const settings = readPoolSettings(postgresConnectionFields, { connectionString: 'host=h user=u database=d sslmode=require', timeout: '5s', maxConns: '3' });
    assert.equal(settings.pool.max, 3);
    assert.equal(settings.pool.statement_timeout, 5000);
    assert.equal(settings.pool.connectionTimeoutMillis, 5000);
    assert.deepEqual(Object.keys(settings.pool.ssl as object).sort(), ['checkServerIdentity', 'rejectUnauthorized']);
    assert.equal((settings.pool.ssl as { rejectUnauthorized: boolean }).rejectUnauthorized, false);
    assert.equal(settings.target, 'u@h:5432/d');
    assert.equal(readPoolSettings(postgresConnectionFields, { connectionString: 'host=h', timeoutInSeconds: '30' }).timeoutMs, 30_000);
    assert.throws(() => readPoolSettings(postgresConnectionFields, { connectionString: 'host=h', timeout: '500ms' }), /greater than 1s/);
    assert.throws(() => readPoolSettings(postgresConnectionFields, { connectionString: 'host=h', useAzureAD: 'true' }), /not supported/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetadataError } from '@outrigger/components-api';
import { parseMysqlDsn } from './dsn.js';

describe('MySQL DSNs', () => {
  it('reads the form Dapr documents', () => {
    const dsn = parseMysqlDsn('root:@tcp(127.0.0.1:3306)/?allowNativePasswords=true', 'connectionString');
    assert.equal(dsn.options.host, '127.0.0.1');
    assert.equal(dsn.options.port, 3306);
    assert.equal(dsn.options.user, 'root');
    assert.equal(dsn.options.password, '');
    assert.equal(dsn.database, undefined);
    assert.equal(dsn.target, 'root@127.0.0.1:3306');
  });

  it('reads passwords holding : and @, databases, default ports and IPv6 hosts', () => {
    const dsn = parseMysqlDsn('app:p@ss:w0rd@tcp([::1])/orders?parseTime=true', 'url');
    assert.deepEqual([dsn.options.user, dsn.options.password, dsn.options.host, dsn.options.port, dsn.database], ['app', 'p@ss:w0rd', '::1', 3306, 'orders']);
  });

  it('reads the short forms: no address, unix sockets, a user without password', () => {
    assert.equal(parseMysqlDsn('/db', 'url').options.host, '127.0.0.1');
    const socket = parseMysqlDsn('me@unix(/run/mysqld/mysqld.sock)/db', 'url');
    assert.deepEqual([socket.options.socketPath, socket.options.user, socket.options.password, socket.options.host], ['/run/mysqld/mysqld.sock', 'me', '', undefined]);
  });

  it('maps driver parameters: timeouts, tls, clientFoundRows, and session variables', () => {
    const dsn = parseMysqlDsn("u:p@tcp(h:1)/d?timeout=5s&readTimeout=2s&writeTimeout=3s&tls=skip-verify&clientFoundRows=true&time_zone=%27%2B00%3A00%27", 'url');
    assert.equal(dsn.options.connectTimeout, 5000);
    assert.equal(dsn.statementTimeoutMs, 3000);
    assert.deepEqual(dsn.options.ssl, { rejectUnauthorized: false });
    assert.deepEqual(dsn.options.flags, ['FOUND_ROWS']);
    assert.deepEqual(dsn.sessionVariables, ["time_zone='+00:00'"]);
    assert.deepEqual(parseMysqlDsn('u@tcp(h)/', 'url').options.flags, ['-FOUND_ROWS'], 'rows changed, not matched, by default, as the Go driver');
  });

  it('reads mysql:// URLs', () => {
    const dsn = parseMysqlDsn('mysql://a%40b:c@db.example:3307/shop', 'url');
    assert.deepEqual([dsn.options.user, dsn.options.password, dsn.options.host, dsn.options.port, dsn.database], ['a@b', 'c', 'db.example', 3307, 'shop']);
  });

  it('refuses what is not a DSN, naming the field', () => {
    for (const bad of ['127.0.0.1:3306', 'u@tcp(h:x)/', 'u@udp(h)/', 'u@tcp(h)/?tls=maybe', 'u@tcp(h)/?tls=custom']) {
      assert.throws(() => parseMysqlDsn(bad, 'url'), (error: unknown) => error instanceof MetadataError && error.field === 'url', bad);
    }
  });
});

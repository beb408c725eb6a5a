import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAge, formatCreated, renderTable, toListRow } from './commands/list.js';

describe('list formatting', () => {
  it('formats ages as dapr does', () => {
    const now = 1_000_000_000;
    assert.equal(formatAge(now - 5_000, now), '5s');
    assert.equal(formatAge(now - 125_000, now), '2m');
    assert.equal(formatAge(now - 3 * 3_600_000, now), '3h');
    assert.equal(formatAge(now - 2 * 86_400_000, now), '2d');
  });

  it('uses dapr\'s created layout and truncates long commands', () => {
    assert.match(formatCreated(Date.now()), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}\.\d{2}$/);
    const row = toListRow({
      appId: 'a', httpPort: 1, grpcPort: 2, appPort: 0, daprdPid: 10, startedAt: Date.now(), cliPid: 0, appPid: 0,
      command: 'node a-very-long-command-line.js', runTemplatePath: '', runTemplateName: '',
    });
    assert.equal(row.command, 'node a-very-long-...');
    const table = renderTable([row]).split('\n');
    assert.match(table[0] ?? '', /^APP ID\s+HTTP PORT\s+GRPC PORT\s+APP PORT\s+COMMAND\s+AGE\s+SIDECAR PID\s+CLI PID\s+APP PID$/);
    assert.match(table[1] ?? '', /^a\s+1\s+2\s+0\s+node a-very-long-\.\.\./);
  });
});

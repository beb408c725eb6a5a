// The test harness itself: a sidecar that exits during start-up is reported as such, with its output,
// as soon as it exits, rather than after the start-up wait runs out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startRun, tempDir } from '../harness/sidecars.js';

describe('test harness', () => {
  it('reports a sidecar that exits during start-up with its own reason', async () => {
    const dir = tempDir();
    try {
      await assert.rejects(
        startRun({ appId: 'doomed', resourcesPath: join(dir.path, 'no-such-folder'), home: join(dir.path, 'home') }),
        (error: Error) => {
          assert.match(error.message, /exited before .* answered 204/);
          assert.match(error.message, /resources path: does not exist/);
          assert.doesNotMatch(error.message, /timed out/);
          return true;
        },
      );
    } finally {
      dir.cleanup();
    }
  });
});

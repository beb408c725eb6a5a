import { Socket } from 'node:net';

/**
 * Runs `action` and answers the values passed to `setNoDelay` on any TCP or TLS socket meanwhile (in
 * call order), for tests that check a client library is told to send small frames at once. The
 * socket prototype is restored afterwards, whatever `action` does.
 */
export async function noDelayCalls<T>(action: () => Promise<T>): Promise<{ result: T; values: boolean[] }> {
  const original = Socket.prototype.setNoDelay;
  const values: boolean[] = [];
  Socket.prototype.setNoDelay = function recorded(this: Socket, noDelay?: boolean) {
    values.push(noDelay ?? true);
    return original.call(this, noDelay);
  };
  try {
    return { result: await action(), values };
  } finally {
    Socket.prototype.setNoDelay = original;
  }
}

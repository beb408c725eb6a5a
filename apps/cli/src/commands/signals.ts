/**
 * SIGINT, SIGTERM and SIGHUP all mean "stop everything" (the children run in their own process
 * groups, so a closing terminal or Ctrl-C reaches only us and we stop them in order). A second
 * signal while stopping forces the children down with SIGKILL.
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void, force: () => void): void {
  let received = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      received++;
      if (received === 1) stop(signal);
      else force();
    });
  }
}

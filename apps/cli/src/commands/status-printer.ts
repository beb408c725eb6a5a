/**
 * The CLI's own status lines, in the style of the dapr CLI (`ℹ️  `, `✅  `, `❌  `, `⚠  ` with two spaces),
 * so people and scripts used to `dapr run` read them the same way. With `--log-as-json` each line is
 * `{"time","status","msg"}` as the dapr CLI writes it.
 */
export type StatusKind = 'info' | 'success' | 'failure' | 'warning' | 'pending';

const icons: Record<StatusKind, string> = { info: 'ℹ️  ', success: '✅  ', failure: '❌  ', warning: '⚠  ', pending: '⌛  ' };

export class StatusPrinter {
  constructor(
    private readonly json = false,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  info(message: string): void {
    this.print('info', message);
  }

  success(message: string): void {
    this.print('success', message);
  }

  /** Failures go to stderr, as the dapr CLI does. */
  failure(message: string): void {
    this.print('failure', message);
  }

  warning(message: string): void {
    this.print('warning', message);
  }

  pending(message: string): void {
    this.print('pending', message);
  }

  private print(kind: StatusKind, message: string): void {
    const stream = kind === 'failure' ? this.err : this.out;
    const line = this.json ? JSON.stringify({ time: new Date().toISOString(), status: kind, msg: message }) : `${icons[kind]}${message}`;
    stream.write(`${line}\n`);
  }
}

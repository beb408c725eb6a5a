import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is written out unfinished rather than buffered forever (progress bars, binary noise). */
const MAX_PENDING = 64 * 1024;

/**
 * Prefixes every line of a child's output. Chunks from a pipe split lines anywhere (and UTF-8
 * characters too), so text is decoded with a StringDecoder and only whole lines are written;
 * `end()` writes the last unfinished line with a newline so nothing is lost when the child exits.
 */
export class LinePrefixer {
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly prefix: string, private readonly write: (text: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > MAX_PENDING) {
      lines.push(this.pending);
      this.pending = '';
    }
    if (lines.length > 0) this.write(lines.map((line) => `${this.prefix}${line}\n`).join(''));
  }

  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest !== '') this.write(`${this.prefix}${rest}\n`);
  }
}

/** Copies `source` to `target` line by line with `prefix`; resolves once the source has ended. */
export function pipeWithPrefix(source: Readable, prefix: string, target: NodeJS.WritableStream): Promise<void> {
  const prefixer = new LinePrefixer(prefix, (text) => target.write(text));
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      prefixer.end();
      resolve();
    };
    source.on('data', (chunk: Buffer) => prefixer.push(chunk));
    source.once('end', finish);
    source.once('close', finish);
    source.once('error', finish);
  });
}

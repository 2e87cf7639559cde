/**
 * Bounded line reading and writing for the CLI's streams: lines longer than a cap are reported
 * and skipped (never held whole in memory), every record is independent, and output waits for
 * the consumer (backpressure), so memory stays bounded whatever the input.
 */
import * as fs from 'node:fs';

/** The longest line `mlobs logs` reads: 1 MiB. Longer lines are skipped with their line number. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** The largest corpus `mlobs logs eval` reads: 256 MiB. */
export const MAX_CORPUS_BYTES = 256 * 1024 * 1024;

export type LineEvent = { readonly n: number; readonly text: string } | { readonly n: number; readonly tooLong: number };

/** Lines of a byte stream (LF or CRLF), 1-based; a line over `maxBytes` yields `tooLong` instead. */
export async function* boundedLines(input: AsyncIterable<Buffer | string>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<LineEvent> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = 0; // bytes of the current line beyond the cap (the line is being skipped)
  let n = 0;
  const finish = (): LineEvent => {
    n++;
    const ev: LineEvent = overflow > 0 ? { n, tooLong: size + overflow } : { n, text: Buffer.concat(parts, size).toString('utf8').replace(/\r$/, '') };
    parts = [];
    size = 0;
    overflow = 0;
    return ev;
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl < 0 ? buf.length : nl;
      const piece = end - start;
      if (overflow > 0 || size + piece > maxBytes) overflow += piece;
      else if (piece > 0) {
        parts.push(buf.subarray(start, end));
        size += piece;
      }
      if (nl < 0) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (size > 0 || overflow > 0) yield finish();
}

/** Writes and waits for `drain` when the stream's buffer is full. */
export async function writeWithBackpressure(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (out.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      out.removeListener('error', onError);
      resolve();
    };
    const onError = (e: Error): void => {
      out.removeListener('drain', onDrain);
      reject(e);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

/** Why `file` cannot be read as an input file (missing, a folder, a FIFO, a device, too large), or undefined. */
export function inputFileProblem(file: string, maxBytes: number): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${file}: not found` : `${file}: cannot be read (${code ?? String(e)})`;
  }
  if (st.isDirectory()) return `${file}: is a folder, not a file`;
  if (st.isFIFO()) return `${file}: is a FIFO; give a regular file`;
  if (st.isCharacterDevice() || st.isBlockDevice()) return `${file}: is a device; give a regular file`;
  if (!st.isFile()) return `${file}: is not a regular file`;
  if (st.size > maxBytes) return `${file}: is ${st.size} bytes; the limit is ${maxBytes} bytes`;
  return undefined;
}

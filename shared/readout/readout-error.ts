/** An expected failure of a readout command (missing run, unreadable export or experiments file): one line, exit 1. */
export class ReadoutError extends Error {
  override name = 'ReadoutError';
}

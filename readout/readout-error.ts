import { UserError } from '../shared/errors.js';

/** An expected failure of a readout command (missing run, unreadable export or experiments file): one line, exit 1. */
export class ReadoutError extends UserError {
  override name = 'ReadoutError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 1, options);
  }
}

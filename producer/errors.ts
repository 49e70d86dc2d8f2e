import { ConfigError, UserError } from '../shared/errors.js';

/**
 * A problem with the producer's input or surroundings that the user can fix (empty knowledge base, unreadable
 * query file, unreachable Redis): `loadgen run` prints the message alone, without a stack, and exits 1.
 */
export class ProducerError extends UserError {
  override name = 'ProducerError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 1, options);
  }
}

/**
 * A bad run option (value, segment, method): a `ConfigError` to the CLI (exit 2), and the one producer error
 * that `POST /api/runs` answers with 400, since the request, not the server, has to change.
 */
export class OptionError extends ConfigError {
  override name = 'OptionError';
}

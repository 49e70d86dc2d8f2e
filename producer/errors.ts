/**
 * A problem with the producer's input or surroundings that the user can fix (empty knowledge base, unreadable
 * query file, unreachable Redis): `loadgen run` prints the message alone, without a stack, and exits 1.
 */
export class ProducerError extends Error {
  override name = 'ProducerError';
}

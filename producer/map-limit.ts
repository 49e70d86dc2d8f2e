/**
 * `fn` over `items` with at most `limit` calls in flight; results keep the input order, so output does not
 * depend on which call finished first. After a call throws, no further item is started (each may cost an
 * LLM call); the calls already in flight are awaited, then the first error is thrown.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const run = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, run));
  if (failure) {
    throw failure.error;
  }
  return results;
}

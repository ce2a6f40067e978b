/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of start. Each item's
 * outcome is reported as it settles; one failure never stops the others. Once `signal` is
 * aborted no further item starts: those left are given to `onSkipped` (calls in flight finish).
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  onSettled?: (result: PromiseSettledResult<R>, item: T, index: number) => void,
  opts: { signal?: AbortSignal; onSkipped?: (item: T, index: number) => void } = {},
): Promise<PromiseSettledResult<R>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (opts.signal?.aborted) {
        while (next < items.length) {
          const i = next++;
          opts.onSkipped?.(items[i], i);
        }
        return;
      }
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await fn(items[i], i) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
      onSettled?.(results[i], items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

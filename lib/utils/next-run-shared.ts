/**
 * `run` shared by the callers that ask for it before it starts: the first caller schedules a run
 * for the next turn of the event loop (setImmediate), every caller until then gets that run's
 * result, and a caller after it has started waits for the next one. So each caller's answer
 * comes from a run that began after it asked, never from an older one: as fresh as a run of its
 * own, at the cost of one run per turn instead of one per caller.
 */
export function nextRunShared<T>(run: () => Promise<T>): () => Promise<T> {
  let next: Promise<T> | null = null;
  return () =>
    (next ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      next = null;
      return run();
    }));
}

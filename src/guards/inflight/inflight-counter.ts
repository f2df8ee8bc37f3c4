/** Requests in progress per user, in this process (per isolate on Workers). */
export interface InflightCounter {
  /** Takes a slot for `key` when it holds fewer than `limit`: the release (idempotent), else undefined. */
  acquire(key: string, limit: number): (() => void) | undefined;
  /** Slots `key` holds now. */
  count(key: string): number;
}

export function createInflightCounter(): InflightCounter {
  // Only users with a request in progress have an entry, so the map stays as small as the load.
  const counts = new Map<string, number>();
  return {
    acquire(key, limit) {
      const held = counts.get(key) ?? 0;
      if (held >= limit) return undefined;
      counts.set(key, held + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left <= 0) counts.delete(key);
        else counts.set(key, left);
      };
    },
    count: (key) => counts.get(key) ?? 0,
  };
}

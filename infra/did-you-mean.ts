/** `notification_emails`, `NotificationEmails` and `notificationEmails` compare equal. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

/** Edit distance (insert, delete, substitute, swap two neighbours) between two short names. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known name nearest to `name` (case, `-` and `_` ignored), if one is close enough to be a
 * slip: at most a third of its letters differ (at least 2 may), or one contains the other.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const wanted = normalize(name);
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const other = normalize(candidate);
    const distance =
      other.includes(wanted) || wanted.includes(other)
        ? Math.abs(other.length - wanted.length) / 4
        : editDistance(wanted, other);
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(2, Math.floor(wanted.length / 3)) ? best.name : undefined;
}

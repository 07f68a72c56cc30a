export interface CountEntry {
  readonly value: string;
  readonly count: number;
}

/** The N largest counts of one dimension, and how much lies outside them. */
export interface TopList {
  readonly top: readonly CountEntry[];
  /** Distinct values seen; an estimate when `approximate`. */
  readonly distinct: number;
  /** Calls counted under values not in `top`. */
  readonly others: number;
  /** True once values had to be dropped to bound memory: counts in `top` may then be low. */
  readonly approximate: boolean;
}

function byCountThenValue(a: CountEntry, b: CountEntry): number {
  return b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}

/**
 * Counts values in bounded memory: exact while at most `capacity` distinct values are seen;
 * past that, the less frequent half is dropped (their calls stay in `others`), so frequent
 * values keep being counted whatever the volume.
 */
export class TopCounter {
  private readonly counts = new Map<string, number>();
  private total = 0;
  private droppedDistinct = 0;

  constructor(private readonly capacity = 2000) {}

  add(value: string, n = 1): void {
    this.total += n;
    const current = this.counts.get(value);
    if (current !== undefined) {
      this.counts.set(value, current + n);
      return;
    }
    if (this.counts.size >= this.capacity) this.prune();
    this.counts.set(value, n);
  }

  private prune(): void {
    const entries = [...this.counts.entries()].map(([value, count]) => ({ value, count }));
    entries.sort(byCountThenValue);
    for (const entry of entries.slice(Math.floor(this.capacity / 2))) {
      this.counts.delete(entry.value);
      this.droppedDistinct += 1;
    }
  }

  /** Values currently held (at most `capacity`). */
  get tracked(): number {
    return this.counts.size;
  }

  top(n: number): TopList {
    const entries = [...this.counts.entries()].map(([value, count]) => ({ value, count }));
    entries.sort(byCountThenValue);
    const top = entries.slice(0, n);
    const inTop = top.reduce((sum, e) => sum + e.count, 0);
    return {
      top,
      distinct: this.counts.size + this.droppedDistinct,
      others: this.total - inTop,
      approximate: this.droppedDistinct > 0,
    };
  }
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface WindowSettings {
  /** Hours before detection to start from (LOOKBACK_HOURS). */
  readonly lookbackHours: number;
  /** CloudTrail event history keeps 90 days; never look further back than this (MAX_LOOKBACK_DAYS). */
  readonly maxLookbackDays: number;
}

export interface InvestigationWindow {
  readonly start: string;
  readonly end: string;
  /** What decided the start. */
  readonly basis: "key-last-used" | "lookback-before-detection" | "max-lookback";
}

export interface WindowInput {
  readonly containedAt: string;
  readonly observedAt?: string | undefined;
  readonly keyLastUsedAt?: string | undefined;
}

/**
 * From the key's last use or `lookbackHours` before detection, whichever is earlier, but no
 * earlier than `maxLookbackDays` before now; to now.
 */
export function investigationWindow(
  input: WindowInput,
  now: Date,
  settings: WindowSettings,
): InvestigationWindow {
  const end = now.getTime();
  const contained = Date.parse(input.containedAt);
  const observed = input.observedAt === undefined ? contained : Date.parse(input.observedAt);
  const detection = Math.min(contained, observed);
  let start = detection - settings.lookbackHours * HOUR_MS;
  let basis: InvestigationWindow["basis"] = "lookback-before-detection";
  if (input.keyLastUsedAt !== undefined) {
    const lastUsed = Date.parse(input.keyLastUsedAt);
    if (lastUsed < start) {
      start = lastUsed;
      basis = "key-last-used";
    }
  }
  const floor = end - settings.maxLookbackDays * DAY_MS;
  if (start < floor) {
    start = floor;
    basis = "max-lookback";
  }
  start = Math.min(start, end);
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), basis };
}

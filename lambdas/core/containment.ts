import type { ActionRecord } from "./incident.js";

/** The first containment step of a response (disable the key; for sessions, deny them) failed. */
export function containmentFailed(actions: readonly ActionRecord[]): boolean {
  const first = actions.find(
    (a) =>
      a.kind === "disable-key" || a.kind === "revoke-sessions" || a.kind === "attach-session-deny-policy",
  );
  return first?.outcome === "failed";
}

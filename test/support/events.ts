// The unit specs read the published events through here; the builders live in local/events.ts.
export { readFixture } from "../../local/events.js";

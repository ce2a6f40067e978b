// Stops the demo fleet's agents (npm run demo:stop). They outlive the console on purpose, so a
// restarted console adopts them with their sessions; this ends them, and their sessions with them.
import { DEFAULT_DEMO_FLEET_DIR, stopDemoAgents } from "../lib/fleet/demo-fleet-state";

const dir = process.env.BATON_DEMO_FLEET_DIR || DEFAULT_DEMO_FLEET_DIR;
stopDemoAgents(dir).then(
  (stopped) => {
    console.log(stopped.length ? `Stopped ${stopped.map((r) => `${r.name} (:${r.port}, pid ${r.pid})`).join(", ")}` : `No demo agent recorded in ${dir} is running.`);
  },
  (err) => {
    console.error(`demo:stop failed: ${(err as Error).message}`);
    process.exit(1);
  },
);

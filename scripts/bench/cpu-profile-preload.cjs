// Preloaded into a process by a benchmark (NODE_OPTIONS=--require …; --cpu-prof is not allowed
// there): profiles its CPU from the start; SIGUSR2 writes the profile beside $BENCH_CPU_PROFILE_FILE, named by pid.
const fs = require("node:fs");
const inspector = require("node:inspector");
const session = new inspector.Session();
session.connect();
session.post("Profiler.enable", () => session.post("Profiler.start"));
process.on("SIGUSR2", () => {
  session.post("Profiler.stop", (err, res) => {
    if (!err) fs.writeFileSync(process.env.BENCH_CPU_PROFILE_FILE.replace(/\.cpuprofile$/, `-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
  });
});

/**
 * Mocha root hooks: no metadata-server probes, and a leak guard. Every test stops what it starts, so the process exits by
 * itself once mocha is done. If something is left running (a server, a streaming run after a
 * failed assertion), CI would otherwise wait for its time limit: instead, a short grace period
 * after the last test names the handles still open and exits non-zero.
 */
const GRACE_MS = 15_000;

// No test may reach Google's metadata server: Google's clients, when they find no credentials,
// would otherwise probe it (and resolve its name) before failing. Tests that need Google APIs
// point the clients at the local emulators (test/io/gcp/emulator_env.ts).
process.env["METADATA_SERVER_DETECTION"] ??= "none";

export const mochaHooks = {
  afterAll(): void {
    const timer = setTimeout(() => {
      const open = process.getActiveResourcesInfo().filter((r) => r !== "Timeout" && r !== "TTYWrap");
      process.stderr.write(`\nThe test process did not exit ${GRACE_MS / 1000} s after the last test; still open: ${open.join(", ") || "(timers only)"}.\n` + "A test left a server, client or streaming run open: stop it in the test (after/afterEach/finally).\n");
      // Mocha's own exit listener sets the exit code to the failure count; this one runs after it.
      process.on("exit", () => {
        process.exitCode = 1;
      });
      process.exit(1);
    }, GRACE_MS);
    timer.unref();
  },
};

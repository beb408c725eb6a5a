/**
 * Node settings the sidecar process runs with. The young generation is capped at 4 MiB a semi-space
 * (node 20 lets it grow to 16 MiB under load): what a sidecar allocates per request dies young, so a
 * small nursery costs no measurable CPU at 1,000 requests/s and keeps its RSS about 25 MB lower
 * (bench/results/2026-11-23-semi-space.md). V8 gets one background thread instead of four: each of
 * its threads keeps a malloc arena of its own, and the compile of undici's HTTP parser (WebAssembly)
 * spread over four left several MB behind in them; with one, the callee's sidecar peaks 2–5 MB lower
 * at 1,000 requests/s with no measurable CPU cost (bench/results/2026-11-23-v8-pool.md). WebAssembly
 * stays on V8's baseline compiler (Liftoff): the only sizeable module is that parser, and optimising
 * its one huge function took about 35 MB for a moment and kept 10 MB, for a parse that is about 1% of
 * the sidecar's CPU; the callee's sidecar now peaks 25 MB lower and idles 10 MB lower, at up to 4% more
 * CPU per request at 1,000 requests/s (bench/results/2026-11-23-liftoff.md). The bin's shebang carries
 * the same flags for `outrigger sidecar` started directly; a test keeps the two equal.
 */
export const SIDECAR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--v8-pool-size=1', '--liftoff-only'];

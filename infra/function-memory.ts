/**
 * Memory of the functions whose size the bench prices (`bench/cost.ts`): the constructs set
 * these, and the bench reads them, so the printed cost per million is the deployed size's.
 */

/*
 * Memory: 512 MB, from the bench (docs/benchmarks.md, 2026-11-27). The gateway is I/O bound: it
 * spent 4.5–8 ms of CPU per request and held a 25–45 MB heap at 32 requests in flight; capping
 * V8's old space at 128 MB cost no CPU, at 64 MB the collector thrashed. Duration is billed for
 * the whole upstream stream, so memory multiplies the cost of every second spent waiting: 512 MB
 * (about 0.3 vCPU on ARM) keeps 4× headroom over that heap plus room for a body at the 6 MB
 * Function URL limit held twice (raw and parsed), and 1024 MB would double the bill of every
 * multi-minute stream to save a few milliseconds of CPU.
 */
export const GATEWAY_MEMORY_MB = 512;

// The recorder makes a handful of single-item conditional writes: little CPU, little memory.
export const RECORDER_MEMORY_MB = 256;

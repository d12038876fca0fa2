/**
 * Memory of the functions whose size the bench prices (`bench/cost.ts`): the constructs set
 * these, and the bench reads them, so the printed cost per million is the deployed size's.
 */

/*
 * Memory: 160 MB, from the bench (docs/deploy.md, "The gateway's memory"). Lambda bills memory ×
 * the whole upstream stream, which the gateway mostly waits on, so the size multiplies every
 * second of every answer. With its NODE_OPTIONS and allocator setting (GATEWAY_NODE_OPTIONS: 8 MB
 * semi-spaces, old space ≤ 64 MB; GATEWAY_ALLOCATOR_ENVIRONMENT) the bundled gateway serves one
 * request at a time at about 100 MB resident; the largest request a client can make, a 6 MB
 * prompt whose stream it then cuts short (so the token counter loads and counts it all), peaked
 * at 140–147 MB once the request held its body once instead of four times; real answers pass with
 * at most a 64 KiB frame held. 160 MB keeps 13 MB over that worst case (176 MB kept 12 over the
 * 160–164 MB it peaked at before), and 256 MB cost 60 % more for CPU the gateway does not need
 * (0.09 vCPU here against 0.145).
 */
export const GATEWAY_MEMORY_MB = 160;

// The recorder makes a handful of single-item conditional writes: little CPU, little memory.
export const RECORDER_MEMORY_MB = 256;

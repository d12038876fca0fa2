/**
 * Memory of the functions whose size the bench prices (`bench/cost.ts`): the constructs set
 * these, and the bench reads them, so the printed cost per million is the deployed size's.
 */

/*
 * Memory: 256 MB, from the bench (docs/deploy.md, "The gateway's memory"). Lambda bills memory ×
 * the whole upstream stream, which the gateway mostly waits on, so the size multiplies every
 * second of every answer. The bundled gateway idles at about 80 MB resident and holds a 15–17 MB
 * live heap serving one request at a time; the tokenizer it loads to bill a stream cut short adds
 * about 67 MB; its answers pass through with at most a 64 KiB frame held. 256 MB keeps that with
 * room to spare (a 6 MB body held twice, V8's collector), 128 MB would not fit the tokenizer, and
 * 512 MB doubled the bill to shorten the CPU part of a request (a few ms at 1 vCPU) by half.
 */
export const GATEWAY_MEMORY_MB = 256;

// The recorder makes a handful of single-item conditional writes: little CPU, little memory.
export const RECORDER_MEMORY_MB = 256;

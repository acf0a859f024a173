// Link impairments in the fabric (issue 10): netem's delay, jitter, loss, rate, duplicate,
// corrupt, reorder and limit as a pipeline stage, on a seeded PRNG and an injectable clock.
export { frameNote, framesHaveNotes, noteFrame } from './notes.js';
export { CorrelatedRandom, Xoshiro128, distributedDelay, inverseNormal } from './random.js';
export {
  ManualScheduler,
  TimerfdScheduler,
  systemScheduler,
  type ImpairmentScheduler,
} from './scheduler.js';
export { ImpairmentStage, type ImpairmentStageOptions } from './stage.js';

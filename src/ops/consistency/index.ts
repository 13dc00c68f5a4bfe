/** Consistency between the systems: the achievement system against governance (see cross-system.ts). */
export {
  CROSS_SYSTEM_KINDS,
  type CrossSystemDifference,
  type CrossSystemKind,
  type CrossSystemOptions,
  type CrossSystemReport,
  type CrossSystemWeights,
  checkCrossSystem,
} from './cross-system.ts';
export {
  type CrossSystemRunDeps,
  crossSystemJob,
  registerCrossSystemJob,
  runRecordedCrossSystem,
} from './cross-system-job.ts';
export {
  recordCrossSystemRun,
  sampleCrossSystemRuns,
  startCrossSystemSampler,
} from './cross-system-runs.ts';

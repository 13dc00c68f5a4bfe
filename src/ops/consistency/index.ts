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

// The tenantshift.io/v1alpha1 API in one import: kinds, shared schema pieces and condition helpers.
export * from './common.js';
export * from './conditions.js';
export * from './crd.js';
export * from './duration.js';
export * from './cidr.js';
export * from './landingzone.js';
export * from './schemareplication.js';
export * from './tenantcutover.js';
export { KIND_DEFINITIONS, renderCrds, writeCrds, crdFileName, CRD_HEADER, type RenderedCrd } from './generate.js';

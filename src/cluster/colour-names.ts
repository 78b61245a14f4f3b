import type { Colour } from '../validate/patterns.js';

/**
 * Names and labels of an app's Kubernetes objects. The colour's NodePort
 * Service selects on `name`; the other labels let people and tools filter.
 */
export const LABEL_COLOUR = 'switchyard/colour';
export const LABEL_VERSION = 'switchyard/version';
export const ANNOTATION_VERSION = 'switchyard/version';
export const ANNOTATION_DEPLOY_ID = 'switchyard/deploy-id';
/** On the state ConfigMap: the highest lock token (Lease leaseTransitions) it was written under. */
export const ANNOTATION_FENCE = 'switchyard/fence';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

/** `blog-blue`: the ReplicaSet, its pods' `name` label and the NodePort Service. */
export const colourName = (app: string, colour: Colour): string => `${app}-${colour}`;

export const colourLabels = (app: string, colour: Colour, version?: string): Record<string, string> => ({
  name: colourName(app, colour),
  app,
  [LABEL_COLOUR]: colour,
  ...(version ? { [LABEL_VERSION]: version } : {}),
});

/** The ConfigMap holding the app's state record. */
export const stateConfigMapName = (app: string): string => `switchyard-${app}`;

/** The Lease that allows one deploy of the app at a time. */
export const leaseName = (app: string): string => `switchyard-${app}-lock`;

/** Where a colour lives: the app and its namespace. */
export interface ColourRef {
  app: string;
  namespace: string;
  colour: Colour;
}

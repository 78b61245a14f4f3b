import type { ColourRef } from './colour-names.js';
import { kubeError } from './kube-error.js';
import type { SwitchyardError } from '../errors/switchyard-error.js';

/** A list/watch error on a colour's objects, as a SwitchyardError naming the colour. */
export const asSwitchyardErrorFromKube = (err: unknown, ref: ColourRef): SwitchyardError =>
  kubeError(err, 'watch', `ReplicaSet and pods of ${ref.namespace}/${ref.app}-${ref.colour}`);

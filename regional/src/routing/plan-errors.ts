/** The error a client sees when routing ends without a successful attempt and no upstream error to pass on. */
import { GatewayError, ModelNotFound, ServiceUnavailable, UpstreamTimeout } from '../errors/catalogue.js';
import type { PlanFailure } from './index.js';

export function errorForPlanFailure(failure: PlanFailure | undefined, model: string, lastError: GatewayError | undefined): GatewayError {
  if (lastError) return lastError;
  switch (failure?.reason) {
    case 'unknown_model':
      return new ModelNotFound(model);
    case 'deadline':
      return new UpstreamTimeout(model, 0);
    case 'no_deployment':
    case undefined:
      return new ServiceUnavailable(`Every deployment of '${model}' is cooling down or at its quota; retry shortly.`, 'no_deployment_available');
  }
  return new ServiceUnavailable(`No deployment of '${model}' could serve the request (${failure!.reason}).`, 'no_deployment_available');
}

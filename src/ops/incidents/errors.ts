/**
 * Errors of the incidents domain. Each code names one cause (see the list in `src/ops/index.ts`
 * and `docs/incidents.md`); the HTTP edge maps them to statuses.
 */
import {
  BaseError,
  ConflictError,
  NotFoundError,
  RuleViolationError,
  UnauthorizedError,
  UnavailableError,
} from '../../platform/errors.ts';
import type { IncidentState } from './types.ts';

/** No incident has this id (404). */
export class IncidentNotFoundError extends NotFoundError {
  override name = 'IncidentNotFoundError';
  constructor(id: string) {
    super(`no incident ${id}`, 'OPS_INCIDENT_NOT_FOUND', { id });
  }
}

/** No action item of this incident has this id (404). */
export class IncidentActionNotFoundError extends NotFoundError {
  override name = 'IncidentActionNotFoundError';
  constructor(incidentId: string, actionId: string) {
    super(`incident ${incidentId} has no action item ${actionId}`, 'OPS_ACTION_NOT_FOUND', {
      incidentId,
      actionId,
    });
  }
}

/** The action is not allowed in the incident's current state (409). */
export class IncidentStateError extends ConflictError {
  override name = 'IncidentStateError';
  constructor(id: string, state: IncidentState, action: string, hint: string) {
    super('OPS_INCIDENT_STATE', `incident ${id} is ${state}: cannot ${action}; ${hint}`, {
      details: { id, state, action },
    });
  }
}

/** The incident has no postmortem yet: it is created when the incident resolves (404). */
export class PostmortemNotFoundError extends NotFoundError {
  override name = 'PostmortemNotFoundError';
  constructor(id: string) {
    super(
      `incident ${id} has no postmortem yet (a draft is written when it resolves)`,
      'OPS_POSTMORTEM_NOT_FOUND',
      {
        id,
      },
    );
  }
}

/** Closing needs a postmortem that was edited, not the untouched draft (422). */
export class PostmortemUneditedError extends RuleViolationError {
  override name = 'PostmortemUneditedError';
  constructor(id: string) {
    super(
      'OPS_POSTMORTEM_UNEDITED',
      `incident ${id} cannot be closed before its postmortem draft is edited (PUT /v1/incidents/${id}/postmortem)`,
      { details: { id } },
    );
  }
}

/** The Alertmanager webhook was called without the configured bearer token (401). */
export class WebhookUnauthorizedError extends UnauthorizedError {
  override name = 'WebhookUnauthorizedError';
  constructor() {
    super('the webhook bearer token is missing or wrong', 'OPS_WEBHOOK_UNAUTHORIZED');
  }
}

/** No webhook token is configured, so the webhook refuses everything; Alertmanager retries (503). */
export class WebhookNotConfiguredError extends UnavailableError {
  override name = 'WebhookNotConfiguredError';
  constructor() {
    super('OPS_WEBHOOK_NOT_CONFIGURED', 'the alert webhook has no token configured');
  }
}

/** `createIncidents` options are invalid (a boot-time error listing every problem). */
export class IncidentsOptionsError extends BaseError {
  override name = 'IncidentsOptionsError';
  readonly issues: readonly string[];
  constructor(issues: string[]) {
    super('OPS_OPTIONS_INVALID', `incidents options: ${issues.join('; ')}`, { details: { issues } });
    this.issues = issues;
  }
}

/**
 * API keys: creation (shown once), listing, revocation and verification with a short in-process
 * cache. The HTTP edge (`src/api`) turns a presented key into a {@link VerifiedApiKey} and checks
 * route scopes with {@link scopeAllows}; the CLI (`cb apikey …`) creates, lists, revokes,
 * rotates (a new key, possibly with narrower scopes, the old one working for a grace period) and
 * reviews them ({@link reviewApiKeys}: unused keys, admin keys, write scopes never exercised,
 * rotations due or under way). Keys past CB_APIKEY_MAX_AGE_DAYS are counted in
 * `cb_api_keys_rotation_due`, keys unused for CB_APIKEY_UNUSED_DAYS in `cb_api_keys_unused`.
 *
 * Error codes: `CB_APIKEY_NAME_INVALID`, `CB_APIKEY_SCOPE_INVALID`, `CB_APIKEY_SCOPE_WIDER` and
 * `CB_APIKEY_GRACE_INVALID` (ValidationError), `CB_APIKEY_NAME_TAKEN` (ConflictError),
 * `CB_APIKEY_NOT_FOUND` (NotFoundError), and `CB_DB_UNAVAILABLE` (UnavailableError) when `verify`
 * cannot reach the database.
 */
export {
  type ApiKeySummary,
  type ApiKeys,
  type CreateApiKeysOptions,
  type CreatedApiKey,
  createApiKeys,
  type RotatedApiKey,
  type VerifiedApiKey,
} from './create-api-keys.ts';
export {
  type ApiKeyAgeCounts,
  type ApiKeyAgeLimits,
  sampleApiKeyAges,
  startApiKeyAgeSampler,
} from './key-age-sampler.ts';
export { API_KEY_PREFIX, parseApiKey } from './key-format.ts';
export {
  API_KEY_FINDINGS,
  type ApiKeyFinding,
  type ApiKeyFindingKind,
  type ApiKeyReview,
  isAuditedScope,
  type ReviewApiKeysOptions,
  type ReviewLimits,
  reviewApiKeys,
} from './review-api-keys.ts';
export { ADMIN_SCOPE, isScope, parseScopes, SCOPE_PATTERN, type Scope, scopeAllows } from './scopes.ts';

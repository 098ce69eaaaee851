/**
 * Checks on an edit of a key (PATCH /admin/keys/{id}) that the schema alone cannot make, because they depend on
 * the key as stored: a revoked or replaced key is not edited (its successor is), and per-model limits name only
 * models the key may use. Expiry in the past stays allowed: it is how an admin expires a key now.
 */
import type { z } from 'zod';
import { InvalidRequest, ResourceConflict } from '../errors/catalogue.js';
import type { PublicKeyRow } from '../keys/service.js';
import type { KeyUpdate } from './schemas.js';

export function checkKeyUpdate(current: PublicKeyRow, update: z.infer<typeof KeyUpdate>): void {
  if (current.revoked_at) throw new ResourceConflict(`Key '${current.id}' is revoked: a revoked key cannot be edited.`, 'key_not_active');
  if (current.replaced_by) throw new ResourceConflict(`Key '${current.id}' was rotated: edit its successor '${current.replaced_by}' instead.`, 'key_not_active');
  const models = update.models === undefined ? current.allowed_models : update.models;
  const modelLimits = update.model_limits ?? current.model_limits ?? {};
  if (models) {
    const unlisted = Object.keys(modelLimits).filter((m) => !models.includes(m));
    if (unlisted.length) {
      throw new InvalidRequest(`Per-model limits name ${unlisted.join(', ')}, which the key may not use (its models: ${models.join(', ') || 'none'}). Remove those limits or allow the models.`, 'model_limits', 'model_limits_unknown_model');
    }
  }
  if (update.models && new Set(update.models).size !== update.models.length) throw new InvalidRequest('The models list names a model twice.', 'models', 'duplicate_model');
}

/**
 * Stored Responses API responses (POST /v1/responses with `store`), for GET/DELETE /v1/responses/{id},
 * /input_items, and `previous_response_id` through any provider. `owner` is the calling key's team (or the
 * key itself when it has no team): a key reads only its owner's rows. `context` is the whole conversation
 * up to and including this response's output, so a follow-up needs one row. Rows past `expires_at` are never
 * read and are deleted in small batches as new ones are written (see ingress/responses/store.ts).
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable('responses', {
    id: { type: 'text', primaryKey: true },
    owner: { type: 'text', notNull: true },
    model: { type: 'text', notNull: true },
    response: { type: 'jsonb', notNull: true },
    input: { type: 'jsonb', notNull: true },
    context: { type: 'jsonb', notNull: true },
    created_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    expires_at: { type: 'timestamptz', notNull: true },
  });
  pgm.createIndex('responses', 'expires_at');
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('responses');
}

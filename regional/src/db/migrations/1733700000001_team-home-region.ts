/**
 * Data residency per team (issue 14): a team pinned to a home region pins every key of the team that has no home
 * region of its own. Nullable: unpinned teams are served in every region.
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.addColumn('teams', { home_region: { type: 'text' } });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropColumn('teams', 'home_region');
}

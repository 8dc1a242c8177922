"""audit_log by person: an index on (actor_username, at), so the /audit page filtered by one person reads only that
person's rows, in time order, within the chosen dates.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:00:00
"""

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_actor_username_at', ['actor_username', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_username_at')

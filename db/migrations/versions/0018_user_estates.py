"""estate scope: the estates each user works in. Existing users keep seeing every estate (all_estates true), so an
upgrade changes nobody's view until an administrator narrows it on /admin.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('all_estates', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        'user_estates',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('estate_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_estates_user_id_users')),
        sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_user_estates_estate_id_estates')),
        sa.PrimaryKeyConstraint('user_id', 'estate_id', name=op.f('pk_user_estates')),
    )
    with op.batch_alter_table('user_estates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_estates_estate_id'), ['estate_id'], unique=False)


def downgrade() -> None:
    # dropping the table drops its index too (MariaDB refuses to drop that index alone: its foreign key needs it)
    op.drop_table('user_estates')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('all_estates')

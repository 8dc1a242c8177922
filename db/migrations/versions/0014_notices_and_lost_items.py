"""公告 with their target estates/buildings; 失物招领 items, claims and disposal, and the quarterly notices.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('publish_on', sa.Date(), nullable=False),
    sa.Column('until_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('written_by', sa.String(length=32), nullable=False),
    sa.Column('written_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=32), nullable=False),
    sa.Column('published_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_reason', sa.String(length=200), nullable=False),
    sa.Column('closed_by', sa.String(length=32), nullable=False),
    sa.Column('closed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('number', name=op.f('uq_notices_number'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_publish_on'), ['publish_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_status'), ['status'], unique=False)

    op.create_table('notice_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_notice_targets_building_id_buildings')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_notice_targets_estate_id_estates')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_targets_notice_id_notices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_targets'))
    )
    with op.batch_alter_table('notice_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_targets_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_targets_notice_id'), ['notice_id'], unique=False)

    op.create_table('lost_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=8), nullable=False),
    sa.Column('posted_on', sa.Date(), nullable=False),
    sa.Column('claim_by', sa.Date(), nullable=False),
    sa.Column('posted_by', sa.String(length=32), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_lost_notices_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lost_notices')),
    sa.UniqueConstraint('estate_id', 'quarter', name=op.f('uq_lost_notices_estate_id_quarter'))
    )
    op.create_table('lost_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('valuable', sa.Boolean(), nullable=False),
    sa.Column('found_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('found_place', sa.String(length=100), nullable=False),
    sa.Column('finder_name', sa.String(length=64), nullable=False),
    sa.Column('finder_phone', sa.String(length=20), nullable=False),
    sa.Column('kept_at', sa.String(length=100), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('claimant_name', sa.String(length=64), nullable=False),
    sa.Column('claimant_phone', sa.String(length=20), nullable=False),
    sa.Column('id_kind', sa.String(length=16), nullable=False),
    sa.Column('id_checked', sa.Boolean(), nullable=False),
    sa.Column('claimed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('handed_over_by', sa.String(length=32), nullable=False),
    sa.Column('disposal_way', sa.String(length=8), nullable=False),
    sa.Column('disposed_by', sa.String(length=32), nullable=False),
    sa.Column('disposed_on', sa.Date(), nullable=True),
    sa.Column('disposal_note', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_lost_items_estate_id_estates')),
    sa.ForeignKeyConstraint(['notice_id'], ['lost_notices.id'], name=op.f('fk_lost_items_notice_id_lost_notices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lost_items')),
    sa.UniqueConstraint('number', name=op.f('uq_lost_items_number'))
    )
    with op.batch_alter_table('lost_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lost_items_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lost_items_found_at'), ['found_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lost_items_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lost_items_status'), ['status'], unique=False)


def downgrade() -> None:
    # dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key needs first)
    op.drop_table('lost_items')
    op.drop_table('lost_notices')
    op.drop_table('notice_targets')
    op.drop_table('notices')
